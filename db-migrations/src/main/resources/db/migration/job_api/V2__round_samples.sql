-- Samples of the round a step metric belongs to, as the relays committed it (the global batch of the plan version
-- that ran the step). A device that dies after its contribution was counted never reports that step; this column
-- lets the report count the round anyway. 0 = not reported (metrics of workers older than this column).

ALTER TABLE job_api.step_metrics ADD COLUMN round_samples integer NOT NULL DEFAULT 0;
