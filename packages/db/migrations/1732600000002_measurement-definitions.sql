-- Up Migration

-- What a user defined (RIPE Atlas REST API v2 shapes) and what the platform made of it.
ALTER TABLE measurements
  ADD COLUMN definition       jsonb NOT NULL DEFAULT '{}',   -- the type's options as given (target, packets, query_type, ...)
  ADD COLUMN is_oneoff        boolean NOT NULL DEFAULT false,
  ADD COLUMN start_time       timestamptz,
  ADD COLUMN stop_time        timestamptz,
  ADD COLUMN status_since     timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN target_ip        text,
  ADD COLUMN probe_sources    jsonb NOT NULL DEFAULT '[]',   -- [{requested, type, value}] as given
  ADD COLUMN probes_requested integer NOT NULL DEFAULT 0,
  ADD COLUMN probes_scheduled integer NOT NULL DEFAULT 0,
  ADD COLUMN tags             text[] NOT NULL DEFAULT '{}',
  -- Seconds over which a periodic measurement's runs on different probes are spread.
  ADD COLUMN spread           integer;

-- Ids for measurements defined through the API; the ones below stay free for imported ids.
CREATE SEQUENCE measurements_id_seq START 10000000 OWNED BY measurements.id;

-- Which probes run which measurement: the controller hands each connected probe its current rows.
CREATE TABLE measurement_probes (
  msm_id     integer NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
  prb_id     integer NOT NULL REFERENCES probes (id) ON DELETE CASCADE,
  added_at   timestamptz NOT NULL DEFAULT now(),
  removed_at timestamptz,
  PRIMARY KEY (msm_id, prb_id)
);
CREATE INDEX measurement_probes_prb ON measurement_probes (prb_id) WHERE removed_at IS NULL;

CREATE TABLE probe_tags (
  prb_id integer NOT NULL REFERENCES probes (id) ON DELETE CASCADE,
  tag    text NOT NULL,
  PRIMARY KEY (prb_id, tag)
);

-- Down Migration

DROP TABLE probe_tags;
DROP TABLE measurement_probes;
DROP SEQUENCE measurements_id_seq;
ALTER TABLE measurements
  DROP COLUMN definition, DROP COLUMN is_oneoff, DROP COLUMN start_time, DROP COLUMN stop_time,
  DROP COLUMN status_since, DROP COLUMN target_ip, DROP COLUMN probe_sources, DROP COLUMN probes_requested,
  DROP COLUMN probes_scheduled, DROP COLUMN tags, DROP COLUMN spread;
