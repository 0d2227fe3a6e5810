-- Scheduler state: which job events were handled, the plans it produced, and the jobs it had to fail.
-- Plans and failures double as a transactional outbox: a row is written in the same transaction that records the
-- event as processed, and `published` flips to true once Kafka has acknowledged the record.

CREATE TABLE scheduler.processed_events (
    event_id     uuid PRIMARY KEY,
    job_id       uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scheduler.plans (
    job_id       uuid        NOT NULL,
    plan_version integer     NOT NULL CHECK (plan_version > 0),
    plan         jsonb       NOT NULL,
    published    boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    PRIMARY KEY (job_id, plan_version)
);

CREATE INDEX plans_unpublished ON scheduler.plans (created_at) WHERE NOT published;

CREATE TABLE scheduler.job_failures (
    job_id       uuid PRIMARY KEY,
    reason       text        NOT NULL,
    published    boolean     NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

CREATE INDEX job_failures_unpublished ON scheduler.job_failures (created_at) WHERE NOT published;
