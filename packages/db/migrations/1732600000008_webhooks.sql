-- Up Migration

-- Webhooks: results pushed to a user's URL. Each belongs to the API key that created it (it reads
-- what that key may read, and stops with it) and keeps the stream position it has delivered up to.
-- The secret is stored sealed (AES-256-GCM under the server's key), never in clear.
CREATE TABLE webhooks (
  id            integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id       integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key_id        integer NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
  url           text NOT NULL,
  secret_sealed bytea NOT NULL,
  subscription  jsonb NOT NULL,
  description   text NOT NULL DEFAULT '',
  -- active: delivered; paused: by its user; failing: the retry window ran out (resumed by its user).
  state         text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'failing')),
  position      text NOT NULL,
  -- Bumped by every change of its settings: a worker delivering it reloads them.
  version       integer NOT NULL DEFAULT 1,
  -- First failed attempt of the batch now being retried: the retry window counts from here, across restarts.
  retry_since   timestamptz,
  last_error    text,
  last_success_at timestamptz,
  -- Which worker delivers it, until when (renewed while it delivers).
  lease_owner   text,
  lease_until   timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_user ON webhooks (user_id);
CREATE INDEX webhooks_claimable ON webhooks (lease_until) WHERE state = 'active';

-- Recent delivery attempts, a bounded number per webhook (older ones are pruned).
CREATE TABLE webhook_deliveries (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id     integer NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  delivery_id    uuid NOT NULL,
  attempt        integer NOT NULL,
  event          text NOT NULL,
  first_position text,
  last_position  text,
  results        integer NOT NULL,
  outcome        text NOT NULL,
  status_code    integer,
  latency_ms     integer NOT NULL,
  error          text,
  attempted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_recent ON webhook_deliveries (webhook_id, id DESC);

-- Down Migration

DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
