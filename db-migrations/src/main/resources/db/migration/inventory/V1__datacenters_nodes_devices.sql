-- Device inventory: datacenters, the nodes in them and the accelerators on those nodes.
-- Health is not stored: it is derived on read from last_heartbeat so that it can never go stale.

create table inventory.datacenters (
    id          text        primary key,
    name        text,
    region      text,
    created_at  timestamptz not null default now()
);

create table inventory.nodes (
    id             text        primary key,
    datacenter_id  text        not null references inventory.datacenters (id),
    created_at     timestamptz not null default now()
);

create index nodes_datacenter_idx on inventory.nodes (datacenter_id);

create table inventory.devices (
    id                 text             primary key,
    node_id            text             not null references inventory.nodes (id),
    datacenter_id      text             not null references inventory.datacenters (id),
    chip               text             not null,
    labels             jsonb            not null default '{}'::jsonb,
    last_heartbeat     timestamptz,
    mode               text,
    cpu_flops_per_sec  double precision,
    host_cores         integer,
    created_at         timestamptz      not null default now(),
    updated_at         timestamptz      not null default now()
);

create index devices_datacenter_idx on inventory.devices (datacenter_id);
create index devices_node_idx on inventory.devices (node_id);
