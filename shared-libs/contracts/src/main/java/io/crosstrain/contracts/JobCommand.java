package io.crosstrain.contracts;

import java.util.UUID;

/**
 * Consumed by job-api on {@link Topics#JOB_COMMANDS} (key = jobId). {@code submit} carries a spec (and a jobId the
 * client chose, for idempotency); {@code cancel} and {@code fail} carry a reason. {@code fail} is sent by the
 * scheduler when a job cannot be placed; {@code suspend} when every device of a running job was lost (the reason names
 * the checkpoint it will resume from). Every command carries a credential in the {@value #CREDENTIAL_HEADER} record
 * header: the API key or JWT the REST API takes (submit, cancel), or the scheduler's caller token (fail, suspend).
 * What became of it is published on {@link Topics#JOB_COMMAND_RESULTS}.
 */
public record JobCommand(String type, UUID jobId, JobSpec spec, String reason) {
    public static final String CREDENTIAL_HEADER = "crosstrain-credential";

    public static final String SUBMIT = "submit";
    public static final String CANCEL = "cancel";
    public static final String FAIL = "fail";
    public static final String SUSPEND = "suspend";
}
