package io.crosstrain.training;

import ai.djl.engine.Engine;

/**
 * Process-wide DJL settings for CPU training.
 *
 * <p>Many emulated devices share two cores, so every JVM runs PyTorch with one intra-op and one inter-op thread; and
 * training must never reach for the network, so DJL runs offline and takes its native libraries from the
 * {@code pytorch-native-cpu} jar on the class path (DJL extracts them once into its cache directory,
 * {@code ~/.djl.ai/pytorch/<version>-cpu-<platform>} unless {@code DJL_CACHE_DIR} says otherwise).
 *
 * <p>The properties are read by DJL when the PyTorch engine loads, so {@link #configureCpu()} must run before the
 * first use of {@link Engine} or an {@code NDManager}; every entry point of this package calls it.
 */
public final class DjlSetup {

    static final String OFFLINE = "ai.djl.offline";
    static final String NUM_THREADS = "ai.djl.pytorch.num_threads";
    static final String NUM_INTEROP_THREADS = "ai.djl.pytorch.num_interop_threads";

    private DjlSetup() {
    }

    /**
     * Sets offline mode and single-threaded PyTorch unless the caller already chose values (e.g. with {@code -D}).
     * Idempotent; cheap enough to call before every engine use.
     */
    public static synchronized void configureCpu() {
        setIfAbsent(OFFLINE, "true");
        setIfAbsent(NUM_THREADS, "1");
        setIfAbsent(NUM_INTEROP_THREADS, "1");
    }

    /** Loads the PyTorch engine (after {@link #configureCpu()}) and describes it, e.g. for a start-up log line. */
    public static String engineDescription() {
        configureCpu();
        Engine engine = Engine.getEngine("PyTorch");
        return engine.getEngineName() + " " + engine.getVersion() + " on " + engine.defaultDevice()
                + " (threads " + System.getProperty(NUM_THREADS) + "/" + System.getProperty(NUM_INTEROP_THREADS)
                + ", offline=" + System.getProperty(OFFLINE) + ")";
    }

    private static void setIfAbsent(String key, String value) {
        String current = System.getProperty(key);
        if (current == null || current.isBlank()) {
            System.setProperty(key, value);
        }
    }
}
