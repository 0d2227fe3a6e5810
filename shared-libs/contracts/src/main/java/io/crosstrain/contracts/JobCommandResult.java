package io.crosstrain.contracts;

import java.time.Instant;
import java.util.UUID;

/**
 * Published by job-api on {@link Topics#JOB_COMMAND_RESULTS} (key = jobId, or the command's position when it named
 * none) for every job command it read: so automation learns that a command was refused, and why, instead of
 * watching for an effect that never comes.
 *
 * @param command   where the command was read: {@code topic-partition@offset}
 * @param type      the command's type, null when it could not be read
 * @param outcome   {@value #APPLIED}, {@value #DUPLICATE} (a retried submit), {@value #IGNORED} (nothing to do, e.g.
 *                  a cancel of a finished job) or {@value #REJECTED}
 * @param reason    why it was rejected or ignored
 * @param principal who sent it, as its credential says (null when the credential was refused)
 */
public record JobCommandResult(String command, UUID jobId, String type, String outcome, String reason,
                               String principal, Instant at) {
    public static final String APPLIED = "applied";
    public static final String DUPLICATE = "duplicate";
    public static final String IGNORED = "ignored";
    public static final String REJECTED = "rejected";
}
