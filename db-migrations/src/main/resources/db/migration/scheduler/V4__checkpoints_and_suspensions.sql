-- Whole-job resume (issue 19). `checkpoints`: the latest complete checkpoint of each job, from CHECKPOINTED job
-- events; a suspended job resumes from it. A checkpoint of a newer plan version wins over an older version's even at
-- a lower step: after a resume the newer version's run is the one that counts.

CREATE TABLE scheduler.checkpoints (
    job_id       uuid PRIMARY KEY,
    step         bigint      NOT NULL CHECK (step >= 0),
    plan_version integer     NOT NULL,
    manifest     text        NOT NULL,
    bytes        bigint      NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- `suspensions`: one row per suspended plan version. A job is suspended while its newest plan is such a version; the
-- row is also the outbox of the `suspend` command (`published`). `acknowledged` turns true when job-api reports the
-- job SUSPENDED (or a user asks to resume it): only then may a resume plan go out, so job-api never sees the resume
-- before the suspend. `auto_resume = false` keeps the job suspended until a user asks to resume it.

CREATE TABLE scheduler.suspensions (
    job_id           uuid        NOT NULL,
    plan_version     integer     NOT NULL,
    reason           text        NOT NULL,
    auto_resume      boolean     NOT NULL DEFAULT true,
    acknowledged     boolean     NOT NULL DEFAULT false,
    resume_requested boolean     NOT NULL DEFAULT false,
    published        boolean     NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL DEFAULT now(),
    published_at     timestamptz,
    PRIMARY KEY (job_id, plan_version)
);

CREATE INDEX suspensions_unpublished ON scheduler.suspensions (created_at) WHERE NOT published;
