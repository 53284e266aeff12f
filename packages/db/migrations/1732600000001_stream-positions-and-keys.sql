-- Up Migration

-- Result ids are handed out in commit order (the writer commits under one lock), so "everything
-- after position P" is `id > P`: the index that resume and gap-filling read by.
CREATE INDEX results_id ON results (id);

CREATE TABLE users (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- API keys, stored as SHA-256 of the key (keys are random, 32 bytes). Rights:
--   results:read_private  read the results of its user's private measurements (REST and streams)
--   measurements:create   define measurements
--   probes:manage         register and manage probes
CREATE TABLE api_keys (
  id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_hash     text NOT NULL UNIQUE,
  label        text NOT NULL DEFAULT '',
  rights       text[] NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz
);

ALTER TABLE measurements ADD COLUMN owner_id integer REFERENCES users (id);

-- Down Migration

ALTER TABLE measurements DROP COLUMN owner_id;
DROP TABLE api_keys;
DROP TABLE users;
DROP INDEX results_id;
