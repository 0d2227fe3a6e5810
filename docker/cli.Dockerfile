# The CLI's image, from the jars Maven made (./mvnw -B -DskipTests package): compose's Kafka broker
# (`kafka-broker`, Kafka's own jars from Maven Central in cli/target/lib) and its one-shot `kafka-access` set-up.
ARG JRE_IMAGE=eclipse-temurin:17-jre
FROM ${JRE_IMAGE}
WORKDIR /app
COPY cli/target/lib /app/lib
COPY cli/target/cli-0.1.0-SNAPSHOT.jar /app/cli.jar
ENTRYPOINT ["java", "-Xmx256m", "-jar", "/app/cli.jar"]
