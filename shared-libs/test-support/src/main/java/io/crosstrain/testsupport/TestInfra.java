package io.crosstrain.testsupport;

import java.util.Locale;
import java.util.function.BooleanSupplier;

/**
 * The one place that decides where integration tests get PostgreSQL and Kafka: from containers (Testcontainers) when
 * a Docker engine answers, from this machine's own servers otherwise. {@code crosstrain.test.infra} (system property,
 * else {@code CROSSTRAIN_TEST_INFRA}) overrides it: {@code auto} (the default), {@code containers} (an engine must
 * answer: CI sets this once it has started one, so nothing falls back unseen) or {@code local} (a module's build sets
 * this to keep the local path tested where an engine runs).
 */
public final class TestInfra {

    public enum Source { CONTAINERS, LOCAL }

    static final String PROPERTY = "crosstrain.test.infra";
    static final String ENV = "CROSSTRAIN_TEST_INFRA";
    private static final System.Logger LOG = System.getLogger(TestInfra.class.getName());
    private static Source chosen;

    private TestInfra() {
    }

    /** The decision for this JVM, made once and logged. */
    public static synchronized Source source() {
        if (chosen == null) {
            String setting = setting();
            chosen = decide(setting, TestInfra::engineAnswers);
            LOG.log(System.Logger.Level.INFO, "test infrastructure: {0} ({1}={2}{3})",
                    chosen == Source.CONTAINERS ? "containers from the Docker engine (Testcontainers)"
                            : "this machine's own PostgreSQL and in-process Kafka",
                    PROPERTY, setting == null ? "auto" : setting,
                    chosen == Source.LOCAL && setting == null ? ", no Docker engine with " + TestContainers.BASE_IMAGE
                            + " answered: scripts/build-images --base makes it" : "");
        }
        return chosen;
    }

    static String setting() {
        String value = System.getProperty(PROPERTY);
        if (value == null || value.isBlank()) {
            value = System.getenv(ENV);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    /**
     * @param setting {@code auto}, {@code containers}, {@code local} or null (auto)
     * @param engineAnswers asked only when the setting leaves it open or requires an engine
     */
    static Source decide(String setting, BooleanSupplier engineAnswers) {
        String s = setting == null ? "auto" : setting.toLowerCase(Locale.ROOT);
        return switch (s) {
            case "local" -> Source.LOCAL;
            case "auto" -> engineAnswers.getAsBoolean() ? Source.CONTAINERS : Source.LOCAL;
            case "containers" -> {
                if (!engineAnswers.getAsBoolean()) {
                    throw new IllegalStateException(PROPERTY + "=containers, but no Docker engine with "
                            + TestContainers.BASE_IMAGE + " answers (start dockerd and run scripts/build-images "
                            + "--base, or set " + PROPERTY + "=auto to use this machine's servers)");
                }
                yield Source.CONTAINERS;
            }
            default -> throw new IllegalArgumentException(PROPERTY + " must be auto, containers or local, not '"
                    + setting + "'");
        };
    }

    /**
     * Whether a Docker engine answers (DOCKER_HOST, else the local socket) and holds the base image our containers and
     * Testcontainers' own checks start from ({@code scripts/build-images --base} makes it). Asked of the engine's API
     * directly: Testcontainers' own probe would first try to pull an image from Docker Hub for minutes.
     */
    public static boolean engineAnswers() {
        try {
            DockerProbe engine = DockerProbe.fromEnvironment();
            return engine.get("/_ping") == 200
                    && engine.get("/images/" + TestContainers.BASE_IMAGE + "/json") == 200;
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }
}
