-- What the scheduler knows of each job's lifecycle (from crosstrain.job-events), so that re-planning after a failure
-- or a rebalance only touches jobs that still run, and the queue knows which devices are held.

CREATE TABLE scheduler.job_states (
    job_id      uuid PRIMARY KEY,
    state       text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
