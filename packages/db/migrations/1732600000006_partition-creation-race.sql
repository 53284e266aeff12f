-- Up Migration

-- Two processes creating the same day's partition: the advisory lock orders them, but the second
-- may still not see the first's table (an advisory lock does not refresh the catalog snapshot), so
-- its CREATE fails with duplicate_table. Found by the partition upkeep running every 50 ms on a busy
-- machine; N ingest processes each keeping partitions ahead race the same way. That error means the
-- partition is there, which is all the caller asked for.
CREATE OR REPLACE FUNCTION ensure_results_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  name text := format('results_%s', to_char(day, 'YYYYMMDD'));
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('results_partition'), (day - date '1970-01-01'));
  IF to_regclass(name) IS NULL THEN
    BEGIN
      EXECUTE format(
        'CREATE TABLE %I PARTITION OF results FOR VALUES FROM (%L) TO (%L)',
        name, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
    EXCEPTION WHEN duplicate_table THEN
      NULL;
    END;
  END IF;
END $$;

-- Down Migration

CREATE OR REPLACE FUNCTION ensure_results_partition(day date) RETURNS void LANGUAGE plpgsql AS $$
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
