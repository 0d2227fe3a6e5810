# The S3-compatible checkpoint store of docker-compose.yml: S3Proxy's own jar from Maven Central (the cli module's
# package step copies it to cli/target/s3proxy/), over a directory. Credentials come from the environment.
ARG JRE_IMAGE=eclipse-temurin:17-jre
FROM ${JRE_IMAGE}
WORKDIR /app
COPY cli/target/s3proxy/s3proxy.jar /app/s3proxy.jar
RUN mkdir -p /data
ENTRYPOINT ["sh", "-c", "mkdir -p /data/${S3_BUCKET:-crosstrain} && printf '%s\\n' \
  's3proxy.endpoint=http://0.0.0.0:9000' 's3proxy.authorization=aws-v2-or-v4' \
  \"s3proxy.identity=${S3_ACCESS_KEY:?}\" \"s3proxy.credential=${S3_SECRET_KEY:?}\" \
  'jclouds.provider=filesystem' 'jclouds.filesystem.basedir=/data' > /app/s3proxy.conf \
  && exec java -jar /app/s3proxy.jar --properties /app/s3proxy.conf"]
