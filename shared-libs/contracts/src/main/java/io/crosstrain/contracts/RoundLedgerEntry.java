package io.crosstrain.contracts;

import java.util.List;
import java.util.UUID;

/**
 * One line of the round ledger ({@link Topics#ROUND_LEDGER}, key {@code jobId:round:datacenter}): what a relay
 * delivered to its datacenter for a round, written once when the round's last chunk went down ({@code COMMITTED}),
 * or when a newer plan version dropped the round's open chunks ({@code ABORTED}). A relay that restarts reads the
 * ledger first and never commits a round twice.
 *
 * @param round        wire round id (see {@link Rounds})
 * @param contributors who was summed (nodes for an intra-DC round, datacenters for a cross-DC one)
 * @param late         contributors that arrived after the round's adaptive deadline (they were waited for)
 * @param wanBytes     bytes of other datacenters' contributions read for this round
 */
public record RoundLedgerEntry(UUID jobId, long round, int planVersion, String datacenter, String status,
                               String kind, long samples, List<String> contributors, List<String> late,
                               int chunks, long wanBytes, long committedAtMs) {

    public static final String COMMITTED = "COMMITTED";
    public static final String ABORTED = "ABORTED";
    public static final String INNER = "inner";
    public static final String OUTER = "outer";
    public static final String SYNC = "sync";

    public String key() {
        return key(jobId, round, datacenter);
    }

    public static String key(UUID jobId, long round, String datacenter) {
        return jobId + ":" + round + ":" + datacenter;
    }
}
