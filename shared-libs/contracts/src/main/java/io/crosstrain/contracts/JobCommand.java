package io.crosstrain.contracts;

import java.util.UUID;

/**
 * Consumed by job-api on {@link Topics#JOB_COMMANDS} (key = jobId). {@code submit} carries a spec (and a jobId the
 * client chose, for idempotency); {@code cancel} and {@code fail} carry a reason. {@code fail} is sent by the
 * scheduler when a job cannot be placed; {@code suspend} when every device of a running job was lost (the reason names
 * the checkpoint it will resume from).
 */
public record JobCommand(String type, UUID jobId, JobSpec spec, String reason) {
    public static final String SUBMIT = "submit";
    public static final String CANCEL = "cancel";
    public static final String FAIL = "fail";
    public static final String SUSPEND = "suspend";
}
