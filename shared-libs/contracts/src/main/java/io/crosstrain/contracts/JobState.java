package io.crosstrain.contracts;

import java.util.Map;
import java.util.Set;

/** Job lifecycle of ARCHITECTURE.md §7. */
public enum JobState {
    PENDING, SCHEDULED, RUNNING, RECOVERING, CANCELLING, SUCCEEDED, FAILED, CANCELLED;

    private static final Map<JobState, Set<JobState>> NEXT = Map.of(
            PENDING, Set.of(SCHEDULED, FAILED, CANCELLING, CANCELLED),
            SCHEDULED, Set.of(RUNNING, FAILED, CANCELLING, SUCCEEDED),
            RUNNING, Set.of(RECOVERING, SUCCEEDED, FAILED, CANCELLING),
            RECOVERING, Set.of(RUNNING, FAILED, CANCELLING),
            CANCELLING, Set.of(CANCELLED, FAILED),
            SUCCEEDED, Set.of(),
            FAILED, Set.of(),
            CANCELLED, Set.of());

    public boolean canMoveTo(JobState next) {
        return NEXT.get(this).contains(next);
    }

    public boolean terminal() {
        return NEXT.get(this).isEmpty();
    }
}
