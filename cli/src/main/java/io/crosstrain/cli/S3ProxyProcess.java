package io.crosstrain.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The S3-compatible checkpoint store of {@code --checkpoint-store s3}: S3Proxy's own jar from Maven Central (copied to
 * {@code cli/target/s3proxy/} by the package step, the same jar compose's image runs) as a child JVM over a directory,
 * on 127.0.0.1 only, checking AWS signatures against a key generated for this stack.
 */
final class S3ProxyProcess implements AutoCloseable {

    static final String BUCKET = "crosstrain";
    static final String ACCESS_KEY = "crosstrain";

    private final int port;
    private final String secret;
    private final Process process;
    private final Path log;

    private S3ProxyProcess(int port, String secret, Process process, Path log) {
        this.port = port;
        this.secret = secret;
        this.process = process;
        this.log = log;
    }

    static S3ProxyProcess start(Path home, Path workDir, int port, Duration timeout)
            throws IOException, InterruptedException {
        Path jar = home.resolve("cli/target/s3proxy/s3proxy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("missing " + jar + ": build first (./mvnw -B -DskipTests package)");
        }
        Path data = workDir.resolve("s3");
        Files.createDirectories(data.resolve(BUCKET)); // the filesystem backend's bucket is a directory
        byte[] random = new byte[24];
        new SecureRandom().nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        Path conf = workDir.resolve("s3proxy.conf");
        OwnerOnlyFile.write(conf, String.join("\n", List.of(
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + ACCESS_KEY,
                "s3proxy.credential=" + secret,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + data.toAbsolutePath())) + "\n");
        Path logs = workDir.resolve("logs");
        Files.createDirectories(logs);
        Path log = logs.resolve("s3proxy.log");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms32m", "-Xmx256m", "-XX:+UseSerialGC", "-jar", jar.toString(), "--properties", conf.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        S3ProxyProcess s3 = new S3ProxyProcess(port, secret, p, log);
        s3.awaitUp(timeout);
        return s3;
    }

    /** Up once it answers HTTP at all: without a signature it refuses (403), which is the answer we want. */
    private void awaitUp(Duration timeout) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited with code " + process.exitValue() + " (see " + log
                        + ")");
            }
            try {
                http.send(HttpRequest.newBuilder(endpoint()).timeout(Duration.ofSeconds(2)).GET().build(),
                        HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    close();
                    throw new IllegalStateException("S3Proxy not answering after " + timeout.toSeconds()
                            + " s (see " + log + ")");
                }
                Thread.sleep(300);
            }
        }
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** What every service needs to use this store (Spring's relaxed binding of {@code crosstrain.checkpoints.*}). */
    Map<String, String> serviceEnv() {
        return Map.of(
                "CROSSTRAIN_CHECKPOINTS_STORE", "s3",
                "CROSSTRAIN_CHECKPOINTS_S3_ENDPOINT", endpoint().toString(),
                "CROSSTRAIN_CHECKPOINTS_S3_BUCKET", BUCKET,
                "CROSSTRAIN_CHECKPOINTS_S3_PATH_STYLE", "true",
                "CROSSTRAIN_CHECKPOINTS_S3_ACCESS_KEY", ACCESS_KEY,
                "CROSSTRAIN_CHECKPOINTS_S3_SECRET_KEY", secret);
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
