#!/bin/bash
# First start: a cluster whose superuser has POSTGRES_PASSWORD, the database POSTGRES_DB, then every
# /docker-entrypoint-initdb.d/*.sh (run with this environment, over the local socket). Every start: the server as
# PID 1, answering the compose network with passwords only (SCRAM); `postgres -c ...` arguments (Testcontainers
# passes some) go to the server.
set -euo pipefail
BIN=/usr/lib/postgresql/15/bin
export POSTGRES_USER=${POSTGRES_USER:-postgres}
export POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp)
  printf '%s' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pwfile"
  chown postgres "$pwfile"
  as_postgres "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C > /dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  # the temporary server logs "ready to accept connections" as the official image's does: waits count two
  as_postgres "$BIN/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses=''" start
  if [ "$POSTGRES_DB" != postgres ]; then
    psql -v ON_ERROR_STOP=1 -q -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE \"$POSTGRES_DB\""
  fi
  for f in /docker-entrypoint-initdb.d/*.sh; do
    [ -e "$f" ] || continue
    echo "postgres-entrypoint: running $f"
    bash "$f"
  done
  as_postgres "$BIN/pg_ctl" -D "$PGDATA" -w -m fast stop > /dev/null
fi
[ "${1:-}" = postgres ] && shift
exec setpriv --reuid=postgres --regid=postgres --init-groups "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
