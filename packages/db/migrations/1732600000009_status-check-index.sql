-- Up Migration

-- Status checks read each probe's newest results of one measurement: the probes that reported (a
-- skip scan over msm_id, prb_id) and, per probe, the newest `lookback` rows (a backward scan). The
-- other indexes lead with prb_id (results_dedup, results_prb_ts: every probe of every measurement)
-- or order by time alone (results_msm_ts: the whole history of the measurement).
CREATE INDEX results_msm_prb_ts ON results (msm_id, prb_id, ts, id);

-- Down Migration

DROP INDEX results_msm_prb_ts;
