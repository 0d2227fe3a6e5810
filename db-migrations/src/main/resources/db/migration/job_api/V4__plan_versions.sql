-- Every plan version a job ran under, not only the latest: weights hashes reported under an older version (they
-- may arrive after a re-plan) are compared among that version's devices.
create table job_api.plan_versions (
    job_id        uuid        not null references job_api.jobs (id),
    plan_version  integer     not null,
    plan          jsonb       not null,
    stored_at     timestamptz not null,
    primary key (job_id, plan_version)
);

insert into job_api.plan_versions (job_id, plan_version, plan, stored_at)
select id, plan_version, plan, updated_at from job_api.jobs where plan is not null and plan_version is not null;
