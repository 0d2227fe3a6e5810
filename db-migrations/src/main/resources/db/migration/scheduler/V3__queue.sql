-- The job queue: a submitted job waits here until the admission loop starts it on a gang of free devices (or gives
-- up on it). `reason` tells users why a job still waits.

CREATE TABLE scheduler.queue (
    job_id        uuid PRIMARY KEY,
    tenant        text        NOT NULL,
    priority      integer     NOT NULL,
    submitted_at  timestamptz NOT NULL,
    spec          jsonb       NOT NULL,
    status        text        NOT NULL DEFAULT 'QUEUED' CHECK (status IN ('QUEUED', 'ADMITTED', 'REJECTED')),
    reason        text,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX queue_waiting ON scheduler.queue (priority DESC, submitted_at) WHERE status = 'QUEUED';
