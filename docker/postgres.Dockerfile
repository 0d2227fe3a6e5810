# PostgreSQL 15 from Debian's package, with the two things compose needs of the official image's entrypoint:
# POSTGRES_PASSWORD/POSTGRES_DB on first start and the scripts in /docker-entrypoint-initdb.d (docker/postgres/).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15/main /etc/postgresql/15/main
COPY docker/postgres/entrypoint.sh /usr/local/bin/postgres-entrypoint
COPY docker/postgres-init/ /docker-entrypoint-initdb.d/
ENV PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint"]
