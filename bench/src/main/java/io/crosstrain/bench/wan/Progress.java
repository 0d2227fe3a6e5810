package io.crosstrain.bench.wan;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** One progress line on stderr at most every few seconds, showing every run still going. */
public final class Progress {

    private final PrintStream err;
    private final long everyNanos;
    private final long start = System.nanoTime();
    private final Map<String, String> running = new TreeMap<>();
    private long last = start;

    public Progress(PrintStream err, double everySeconds) {
        this.err = err;
        this.everyNanos = (long) (everySeconds * 1e9);
    }

    public synchronized void update(String run, long samples, long maxSamples, double loss) {
        running.put(run, String.format(Locale.ROOT, "%s %d%% %.3f", run, 100 * samples / Math.max(1, maxSamples),
                loss));
        long now = System.nanoTime();
        if (now - last >= everyNanos) {
            last = now;
            err.printf(Locale.ROOT, "wan [%4.0fs] %s%n", (now - start) / 1e9, String.join(" | ", running.values()));
        }
    }

    public synchronized void done(String run, String summary) {
        running.remove(run);
        err.printf(Locale.ROOT, "wan [%4.0fs] done %s: %s%n", (System.nanoTime() - start) / 1e9, run, summary);
    }
}
