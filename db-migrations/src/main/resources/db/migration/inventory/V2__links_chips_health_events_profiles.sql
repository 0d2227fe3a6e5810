-- Heterogeneity-aware planning, part 1: WAN links between datacenters, user-defined chips, per-device memory,
-- stored health transitions published through an outbox, and measured throughput profiles.

-- A link is undirected: one row per unordered pair, stored with dc_a < dc_b.
create table inventory.links (
    dc_a        text             not null references inventory.datacenters (id),
    dc_b        text             not null references inventory.datacenters (id),
    gbps        double precision not null check (gbps > 0 and gbps < 'Infinity'::float8),
    latency_ms  double precision not null check (latency_ms >= 0 and latency_ms < 'Infinity'::float8),
    created_at  timestamptz      not null default now(),
    updated_at  timestamptz      not null default now(),
    primary key (dc_a, dc_b),
    check (dc_a < dc_b)
);

create index links_dc_b_idx on inventory.links (dc_b);

-- Chips added over REST on top of the built-in catalogue. Names are looked up ignoring case, hence the key.
create table inventory.chips (
    name_key            text             primary key,
    name                text             not null,
    tflops              double precision not null check (tflops > 0),
    memory_gb           double precision not null check (memory_gb > 0),
    mem_bandwidth_tbps  double precision not null check (mem_bandwidth_tbps > 0),
    unverified          boolean          not null,
    source              text             not null check (length(btrim(source)) > 0),
    created_at          timestamptz      not null default now(),
    updated_at          timestamptz      not null default now()
);

-- memory_gb: null only for devices registered before this column existed (the view then shows the chip's figure).
-- last_status: the last health status an event was recorded for (null until the first heartbeat).
alter table inventory.devices
    add column memory_gb   double precision check (memory_gb > 0),
    add column last_status text check (last_status in ('HEALTHY', 'SUSPECT', 'DOWN'));

-- Health transitions: the event history of every device and, while published_at is null, the outbox.
create table inventory.device_events (
    id            bigserial   primary key,
    event_id      uuid        not null unique,
    device_id     text        not null references inventory.devices (id),
    from_status   text,
    to_status     text        not null,
    reason        text        not null,
    at            timestamptz not null,
    payload       text        not null,
    published_at  timestamptz
);

create index device_events_device_idx on inventory.device_events (device_id, id);
create index device_events_unpublished_idx on inventory.device_events (id) where published_at is null;

-- One row per (job, plan version, device, step): the primary key makes a redelivered step metric a no-op.
create table inventory.speed_samples (
    job_id           uuid             not null,
    plan_version     integer          not null,
    device_id        text             not null,
    step             integer          not null,
    chip             text             not null,
    model_key        text             not null,
    micro_batch      integer          not null check (micro_batch > 0),
    samples_per_sec  double precision not null check (samples_per_sec > 0),
    measured_at      timestamptz      not null,
    primary key (job_id, plan_version, device_id, step)
);

create index speed_samples_chip_idx on inventory.speed_samples (chip, model_key, micro_batch, measured_at desc);
create index speed_samples_device_idx on inventory.speed_samples (device_id, model_key, measured_at desc);

-- Robust speed over the newest samples, kept up to date as samples arrive; samples = all samples ever recorded.
create table inventory.chip_profiles (
    chip             text             not null,
    model_key        text             not null,
    micro_batch      integer          not null,
    samples_per_sec  double precision not null,
    samples          bigint           not null,
    updated_at       timestamptz      not null,
    primary key (chip, model_key, micro_batch)
);

create table inventory.device_profiles (
    device_id        text             not null,
    model_key        text             not null,
    samples_per_sec  double precision not null,
    samples          bigint           not null,
    updated_at       timestamptz      not null,
    primary key (device_id, model_key)
);
