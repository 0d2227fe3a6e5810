-- The whole-model chip speed a step metric reports (StepMetric.samplesPerSec, chip samples/s; 0 = not reported).
-- The report counts a pipeline stage's solo speed from it: a stage's busy time covers only its own blocks.

ALTER TABLE job_api.step_metrics ADD COLUMN samples_per_sec double precision NOT NULL DEFAULT 0;
