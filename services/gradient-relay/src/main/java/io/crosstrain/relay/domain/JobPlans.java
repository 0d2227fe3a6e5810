package io.crosstrain.relay.domain;

import java.util.ArrayDeque;

import io.crosstrain.contracts.Rounds;

/** The versions of one job's plan still in effect for some round, oldest first (a few at most). */
final class JobPlans {
    static final int KEPT = 4;
    final ArrayDeque<JobPlan> versions = new ArrayDeque<>();

    boolean isEmpty() {
        return versions.isEmpty();
    }

    JobPlan latest() {
        return versions.getLast();
    }

    void add(JobPlan p) {
        versions.addLast(p);
        while (versions.size() > KEPT) {
            versions.removeFirst();
        }
    }

    /** The version a round runs under: the newest whose startStep is at or before its step. */
    JobPlan forRound(long round) {
        long step = Rounds.step(round);
        JobPlan found = null;
        for (JobPlan p : versions) {
            if (found == null || p.startStep <= step) {
                found = p;
            }
        }
        return found;
    }

    /** Version {@code version} when it is the one in effect for {@code round}, else null. */
    JobPlan inEffect(int version, long round) {
        JobPlan p = forRound(round);
        return p != null && p.version == version ? p : null;
    }

    String describeFor(long round) {
        JobPlan p = forRound(round);
        return "version " + p.version + " (from step " + p.startStep + ")";
    }
}
