package io.crosstrain.contracts;

import java.util.Map;
import java.util.Set;

/** Job lifecycle of ARCHITECTURE.md §7. */
public enum JobState {
    PENDING, SCHEDULED, RUNNING, RECOVERING, SUSPENDED, CANCELLING, SUCCEEDED, FAILED, CANCELLED;

    /**
     * SUSPENDED: every device of the job was lost; it resumes from its last checkpoint when devices are back. A job
     * RECOVERING or SUSPENDED may still succeed: when every device of its plan reports its last step done, the work is
     * complete, however late the loss was noticed (a device declared lost while it finished).
     */
    private static final Map<JobState, Set<JobState>> NEXT = Map.of(
            PENDING, Set.of(SCHEDULED, FAILED, CANCELLING, CANCELLED),
            SCHEDULED, Set.of(RUNNING, FAILED, CANCELLING, SUCCEEDED, SUSPENDED),
            RUNNING, Set.of(RECOVERING, SUCCEEDED, FAILED, CANCELLING, SUSPENDED),
            RECOVERING, Set.of(RUNNING, SUCCEEDED, FAILED, CANCELLING, SUSPENDED),
            SUSPENDED, Set.of(RECOVERING, SUCCEEDED, FAILED, CANCELLED),
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
