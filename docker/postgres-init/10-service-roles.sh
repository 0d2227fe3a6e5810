#!/usr/bin/env bash
# One PostgreSQL role per stateful service, owning that service's schema and nothing else (what ./crosstrain up
# makes with ServiceRoles). Runs once, when the postgres container initialises its data directory.
set -euo pipefail
# the same image serves the tests (Testcontainers), which give no service passwords and want no service roles;
# compose always gives all four
if [ -z "${CROSSTRAIN_DB_PASSWORD_GATEWAY:-}${CROSSTRAIN_DB_PASSWORD_INVENTORY:-}${CROSSTRAIN_DB_PASSWORD_JOB_API:-}${CROSSTRAIN_DB_PASSWORD_SCHEDULER:-}" ]; then
  echo "10-service-roles: no CROSSTRAIN_DB_PASSWORD_* given, no service roles made"
  exit 0
fi
for pair in gateway:GATEWAY inventory:INVENTORY job_api:JOB_API scheduler:SCHEDULER; do
  schema=${pair%%:*}
  var=CROSSTRAIN_DB_PASSWORD_${pair##*:}
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v role="${POSTGRES_DB}_${schema}" \
       -v pw="${!var:?$var is required}" -v schema="$schema" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"role";
CREATE SCHEMA :"schema" AUTHORIZATION :"role";
SQL
done
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v db="$POSTGRES_DB" <<'SQL'
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
