# Java 17 on Debian bookworm: the base of every CrossTrain image. scripts/build-images builds it on its debootstrap
# image (no registry needed); a plain `docker compose build` on a machine that reaches Docker Hub uses
# eclipse-temurin:17-jre instead and never needs this file.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*
