-- Up Migration

CREATE TABLE probes (
  id              integer PRIMARY KEY CHECK (id > 0),
  secret_hash     text NOT NULL,
  asn_v4          integer,
  asn_v6          integer,
  prefix_v4       text,
  prefix_v6       text,
  address_v4      text,
  address_v6      text,
  country_code    char(2),
  latitude        double precision,
  longitude       double precision,
  description     text NOT NULL DEFAULT '',
  firmware        integer,
  is_public       boolean NOT NULL DEFAULT true,
  is_anchor       boolean NOT NULL DEFAULT false,
  -- RIPE Atlas probe status ids: 0 Never Connected, 1 Connected, 2 Disconnected, 3 Abandoned
  status          smallint NOT NULL DEFAULT 0,
  status_since    timestamptz,
  first_connected timestamptz,
  last_connected  timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE probes_id_seq OWNED BY probes.id;

CREATE TABLE measurements (
  id             integer PRIMARY KEY CHECK (id > 0),
  type           text NOT NULL,
  description    text NOT NULL DEFAULT '',
  target         text,
  af             smallint,
  interval       integer,
  is_public      boolean NOT NULL DEFAULT true,
  -- RIPE Atlas measurement status ids: 0 Specified, 1 Scheduled, 2 Ongoing, 4 Stopped, ...
  status         smallint NOT NULL DEFAULT 2,
  result_count   bigint NOT NULL DEFAULT 0,
  last_result_at timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX measurements_last_result_at ON measurements (last_result_at DESC NULLS LAST);

-- One row per stored result. `body` is the probe's JSON as sent (json, not jsonb: kept verbatim and
-- twice as fast to write); the columns beside it are what queries filter and order on. Partitioned by
-- the probe's measurement time, one partition a day, so history ages out by dropping partitions.
CREATE TABLE results (
  id        bigint GENERATED ALWAYS AS IDENTITY,
  msm_id    integer NOT NULL,
  prb_id    integer NOT NULL,
  ts        timestamptz NOT NULL,
  type      text NOT NULL,
  -- md5 of the body: a probe re-sending a result sends the same bytes; two different results that
  -- share (prb_id, msm_id, timestamp) exist in real data (DNS per-resolver, sslcert alerts) and are both kept.
  digest    bytea NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT now(),
  body      json NOT NULL
) PARTITION BY RANGE (ts);

CREATE UNIQUE INDEX results_dedup ON results (prb_id, msm_id, ts, digest);
CREATE INDEX results_msm_ts ON results (msm_id, ts, id);
CREATE INDEX results_prb_ts ON results (prb_id, ts);

-- Creates the daily partition holding `day` unless it exists. The advisory lock makes concurrent
-- writers that discover the same missing day wait for each other instead of failing.
CREATE FUNCTION ensure_results_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := format('results_%s', to_char(day, 'YYYYMMDD'));
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('results_partition'), (day - date '1970-01-01'));
  IF to_regclass(name) IS NULL THEN
    EXECUTE format(
      'CREATE TABLE %I PARTITION OF results FOR VALUES FROM (%L) TO (%L)',
      name, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
  END IF;
END $$;

-- Creates partitions for the days from `first` on, `days` of them: run at start-up and periodically
-- so that live results never wait for DDL.
CREATE FUNCTION ensure_results_partitions(first date, days integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 0 .. days - 1 LOOP
    PERFORM ensure_results_partition(first + i);
  END LOOP;
END $$;

CREATE TABLE probe_status_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  prb_id     integer NOT NULL,
  event      text NOT NULL CHECK (event IN ('connect', 'disconnect')),
  at         timestamptz NOT NULL DEFAULT now(),
  asn        integer,
  prefix     text,
  country    char(2),
  controller text NOT NULL
);

CREATE INDEX probe_status_events_prb_at ON probe_status_events (prb_id, at);

-- Down Migration

DROP TABLE probe_status_events;
DROP FUNCTION ensure_results_partitions(date, integer);
DROP FUNCTION ensure_results_partition(date);
DROP TABLE results;
DROP TABLE measurements;
DROP TABLE probes;
