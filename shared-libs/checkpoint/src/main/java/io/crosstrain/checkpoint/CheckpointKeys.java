package io.crosstrain.checkpoint;

import java.util.OptionalLong;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The key layout of checkpoints in a {@link CheckpointStore}:
 * <pre>
 * jobs/&lt;jobId&gt;/step-0000000050/shard-0-4096.bin
 * jobs/&lt;jobId&gt;/step-0000000050/manifest.json
 * </pre>
 * Steps are zero-padded so that a sorted listing is in step order (up to 10 digits; callers that need the order
 * should still sort by {@link #stepOf}).
 */
public final class CheckpointKeys {

    public static final String MANIFEST_NAME = "manifest.json";

    private static final Pattern STEP_KEY = Pattern.compile("jobs/([^/]+)/step-(\\d+)/(.+)");

    private CheckpointKeys() {
    }

    public static String jobPrefix(UUID job) {
        if (job == null) {
            throw new IllegalArgumentException("job id is null");
        }
        return "jobs/" + job + "/";
    }

    public static String stepPrefix(UUID job, long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step " + step + " is negative");
        }
        return jobPrefix(job) + String.format("step-%010d/", step);
    }

    public static String shard(UUID job, long step, long offset, long count) {
        if (offset < 0 || count < 0) {
            throw new IllegalArgumentException("shard range [" + offset + ", +" + count + ") is negative");
        }
        return stepPrefix(job, step) + "shard-" + offset + "-" + count + ".bin";
    }

    public static String manifest(UUID job, long step) {
        return stepPrefix(job, step) + MANIFEST_NAME;
    }

    /** The step of a manifest key, or empty when {@code key} is not one. */
    public static OptionalLong manifestStep(String key) {
        Matcher m = match(key);
        return m != null && m.group(3).equals(MANIFEST_NAME) ? parseStep(m) : OptionalLong.empty();
    }

    /** The step of any object below a step prefix (manifest, shard or leftover), or empty. */
    public static OptionalLong stepOf(String key) {
        Matcher m = match(key);
        return m == null ? OptionalLong.empty() : parseStep(m);
    }

    private static Matcher match(String key) {
        if (key == null) {
            return null;
        }
        Matcher m = STEP_KEY.matcher(key);
        return m.matches() ? m : null;
    }

    private static OptionalLong parseStep(Matcher m) {
        try {
            return OptionalLong.of(Long.parseLong(m.group(2)));
        } catch (NumberFormatException tooLong) {
            return OptionalLong.empty();
        }
    }
}
