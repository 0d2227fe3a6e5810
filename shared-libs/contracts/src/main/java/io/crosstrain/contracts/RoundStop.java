package io.crosstrain.contracts;

/**
 * A request to stop a job (it is being cancelled), carried in the data plane so that every replica stops after the
 * same committed round.
 *
 * <p>A worker that has seen the job go to {@code CANCELLING} marks its node's contribution to the next round with
 * the Kafka header {@link #HEADER} (value {@link #YES}). Relays pass the mark on, OR-ed over the contributions they sum:
 * a DC partial on {@code grad-wan} carries it when any of its nodes' contributions did, an average on
 * {@code grad-down.<dc>} when any partial did. Every relay sums the same partials, so every worker of every datacenter
 * receives the same mark with the same committed round; each applies that round and reports it as its last step.
 * Under DiLoCo only outer rounds cross the WAN, so only an outer round's mark counts: replicas stop right after an
 * outer round, where they agree.
 */
public final class RoundStop {

    /** Kafka header on gradient chunks of a round after which the job stops. */
    public static final String HEADER = "stop-after-round";

    /** The header's value; a record without the header asks for nothing. */
    public static final byte[] YES = {1};

    private RoundStop() {
    }

    /** Whether a header value (null when absent) asks to stop. */
    public static boolean requested(byte[] value) {
        return value != null && value.length > 0 && value[0] != 0;
    }
}
