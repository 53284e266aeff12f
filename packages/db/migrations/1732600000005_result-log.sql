-- Up Migration

-- The committed log of results. Ingest processes commit concurrently; a result's place in the log
-- is its writing transaction, then its id: a transaction id older than every transaction still
-- running (pg_snapshot_xmin) can gain no more rows, so the rows below that horizon are final, and
-- reading them in (tx, id) order after a position P misses nothing and repeats nothing. Its stream
-- position is the decimal tx, then the id in 12 digits (see packages/db/src/result-log.ts).
ALTER TABLE results ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX results_log ON results (tx, id);
DROP INDEX results_id;

-- Each commit wakes the relay that publishes the log to the bus (no polling delay).
CREATE FUNCTION notify_results_committed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('results_committed', '');
  RETURN NULL;
END $$;
CREATE TRIGGER results_committed AFTER INSERT ON results
  FOR EACH STATEMENT EXECUTE FUNCTION notify_results_committed();

-- How far the relay has published the log: a relay taking over goes on from here.
CREATE TABLE result_log_relay (
  name       text PRIMARY KEY,
  position   text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE result_log_relay;
DROP TRIGGER results_committed ON results;
DROP FUNCTION notify_results_committed();
CREATE INDEX results_id ON results (id);
DROP INDEX results_log;
ALTER TABLE results DROP COLUMN tx;
