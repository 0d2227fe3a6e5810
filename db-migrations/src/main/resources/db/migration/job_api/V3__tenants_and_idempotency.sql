-- Jobs belong to a tenant (the gateway tells job-api whose request it is); a submit may carry an Idempotency-Key,
-- unique per tenant, with a hash of the body it came with so a reuse with another body can be refused.

alter table job_api.jobs add column tenant text;
update job_api.jobs set tenant = coalesce(spec ->> 'tenant', 'default');
alter table job_api.jobs alter column tenant set not null;

alter table job_api.jobs add column idempotency_key text;
alter table job_api.jobs add column request_hash char(64);

create unique index jobs_tenant_idempotency_idx on job_api.jobs (tenant, idempotency_key)
    where idempotency_key is not null;
create index jobs_tenant_created_idx on job_api.jobs (tenant, created_at desc, id);
