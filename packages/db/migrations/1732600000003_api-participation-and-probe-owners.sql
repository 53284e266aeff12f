-- Up Migration

-- Probe hosts register probes through the API: a probe belongs to the user whose key registered it.
ALTER TABLE probes ADD COLUMN owner_id integer REFERENCES users (id) ON DELETE SET NULL;

-- Requests to add probes to a running measurement or remove them (RIPE Atlas participation requests).
CREATE TABLE participation_requests (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  msm_id     integer NOT NULL REFERENCES measurements (id) ON DELETE CASCADE,
  action     text NOT NULL CHECK (action IN ('add', 'remove')),
  source     jsonb NOT NULL,              -- {requested, type, value, tags?} as given
  prb_ids    integer[] NOT NULL DEFAULT '{}',  -- the probes it added or removed
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX participation_requests_msm ON participation_requests (msm_id);

-- The scheduler looks at measurements that are not finished yet, every second.
CREATE INDEX measurements_unfinished ON measurements (status) WHERE status IN (0, 1, 2);

-- Down Migration

DROP INDEX measurements_unfinished;
DROP TABLE participation_requests;
ALTER TABLE probes DROP COLUMN owner_id;
