# One image per service, built from the jar Maven made: docker compose build (after ./mvnw -B -DskipTests package).
ARG JRE_IMAGE=eclipse-temurin:17-jre
FROM ${JRE_IMAGE}
ARG MODULE
WORKDIR /app
COPY ${MODULE}/target/*-exec.jar /app/app.jar
ENV JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -XX:MaxRAMPercentage=60 -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1"
ENTRYPOINT ["java", "-jar", "/app/app.jar"]
