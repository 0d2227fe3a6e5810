-- Job API: jobs with their state machine history, a transactional outbox for job events, and step metrics.

create table job_api.jobs (
    id            uuid        primary key,
    name          text        not null,
    state         text        not null,
    reason        text,
    step          integer     not null default 0,
    steps         integer     not null,
    spec          jsonb       not null,
    baseline_for  uuid,
    plan          jsonb,
    plan_version  integer,
    created_at    timestamptz not null,
    updated_at    timestamptz not null
);

create index jobs_created_idx on job_api.jobs (created_at desc, id);
create index jobs_state_idx on job_api.jobs (state, created_at desc);
create index jobs_baseline_for_idx on job_api.jobs (baseline_for) where baseline_for is not null;

create table job_api.job_history (
    id          bigserial   primary key,
    job_id      uuid        not null references job_api.jobs (id),
    from_state  text,
    to_state    text        not null,
    reason      text,
    at          timestamptz not null
);

create index job_history_job_idx on job_api.job_history (job_id, id);

-- Rows are written in the same transaction as the state change they announce; a scheduled publisher sends them
-- to Kafka in id order and stamps published_at once the broker has acknowledged them.
create table job_api.outbox (
    id            bigserial   primary key,
    event_id      uuid        not null unique,
    job_id        uuid        not null,
    event_type    text        not null,
    payload       text        not null,
    created_at    timestamptz not null default now(),
    published_at  timestamptz
);

create index outbox_unpublished_idx on job_api.outbox (id) where published_at is null;

-- One row per (job, plan version, device, step): the primary key makes a redelivered metric a no-op.
create table job_api.step_metrics (
    job_id         uuid             not null references job_api.jobs (id),
    plan_version   integer          not null,
    device_id      text             not null,
    step           integer          not null,
    datacenter     text,
    chip           text,
    batch          integer          not null,
    loss           double precision not null,
    compute_ms     double precision not null,
    busy_ms        double precision not null,
    comm_ms        double precision not null,
    step_ms        double precision not null,
    started_at_ms  bigint           not null,
    ended_at_ms    bigint           not null,
    wan_bytes      bigint           not null,
    parameters     bigint           not null,
    weights_hash   text,
    mode           text,
    last           boolean          not null,
    error          text,
    -- an error sent later under the key of a step the device had already reported: it fails the job, while the
    -- row's figures (real work) stay in the report
    late_error     text,
    received_at    timestamptz      not null default now(),
    primary key (job_id, plan_version, device_id, step)
);

create index step_metrics_job_step_idx on job_api.step_metrics (job_id, step);
