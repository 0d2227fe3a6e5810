-- Checkpoints (docs/architecture.md §13). Workers write shards to the checkpoint store and announce each on
-- checkpoint-shards; job-api keeps what it was told per (job, step, plan version) until the shards cover the whole
-- parameter vector, then writes the manifest and records the checkpoint. A (job, step) without a checkpoints row is
-- torn or still being written and is never listed or exported.
create table job_api.checkpoint_shards (
    job_id         uuid             not null references job_api.jobs (id),
    step           bigint           not null,
    plan_version   integer          not null,
    shard_key      text             not null,
    first_element  bigint           not null,
    elements       bigint           not null,
    total          bigint           not null,
    bytes          bigint           not null,
    sha256         text             not null,
    device_id      text,
    pause_ms       double precision not null,
    upload_ms      double precision not null,
    received_at    timestamptz      not null default now(),
    -- a redelivered shard is a no-op; replicas holding the same range write the same key
    primary key (job_id, step, plan_version, shard_key)
);

-- One complete checkpoint per (job, step): a resume plan that redoes a step replaces the older version's row.
create table job_api.checkpoints (
    job_id        uuid             not null references job_api.jobs (id),
    step          bigint           not null,
    plan_version  integer          not null,
    manifest_key  text             not null,
    bytes         bigint           not null,
    upload_ms     double precision not null,
    pause_ms      double precision not null,
    created_at    timestamptz      not null,
    primary key (job_id, step)
);
