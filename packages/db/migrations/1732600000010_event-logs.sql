-- Up Migration

-- Probe status and measurement events as ordered, resumable logs (webhooks of probestatus and
-- metadata streams read them after a position, as they read results): each row carries the id of
-- the transaction that wrote it, and rows below the transaction horizon are final, exactly as in the
-- result log (1732600000005_result-log.sql); a position is tx then the id in 12 digits.
ALTER TABLE probe_status_events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX probe_status_events_log ON probe_status_events (tx, id);

-- Measurement events (created, changed, stopped) were published on the bus only; stored here so that
-- a delivery can resume after a restart. `private_to`: the owner of a private measurement (0: nobody),
-- null when public, as the bus message says.
CREATE TABLE measurement_events (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tx         xid8 NOT NULL DEFAULT pg_current_xact_id(),
  msm_id     integer NOT NULL,
  private_to integer,
  -- The event as the stream sends it (json keeps its text and key order).
  event      json NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX measurement_events_log ON measurement_events (tx, id);

-- Down Migration

DROP TABLE measurement_events;
DROP INDEX probe_status_events_log;
ALTER TABLE probe_status_events DROP COLUMN tx;
