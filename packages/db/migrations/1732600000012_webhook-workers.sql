-- Up Migration

-- The webhook delivery workers alive now: each renews its row as it renews its leases, and holds at
-- most its fair share of the active webhooks (their number over the live workers), so that a worker
-- started later takes its part. A row not renewed within a lease's length is a worker gone.
CREATE TABLE webhook_workers (
  owner      text PRIMARY KEY,
  seen_until timestamptz NOT NULL
);

-- Down Migration

DROP TABLE webhook_workers;
