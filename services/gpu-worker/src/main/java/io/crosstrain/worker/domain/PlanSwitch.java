package io.crosstrain.worker.domain;

import io.crosstrain.contracts.Plan;

/**
 * The plan versions a job run was given and the one it switches to next: normally the newest. A version that resumes
 * the whole job from a checkpoint ({@link Plan#resume}) goes first even when a newer one arrived before the switch,
 * because only it says where the state comes from; the newer one then takes over at its own start step. Not
 * thread-safe: the run guards it.
 */
final class PlanSwitch {

    private Plan latest;
    /** The newest version, while no segment runs it yet. */
    private Plan pending;
    /** The newest version that resumes from a checkpoint, while no segment runs it yet. */
    private Plan resume;

    PlanSwitch(Plan first) {
        this.latest = first;
    }

    Plan latest() {
        return latest;
    }

    /** @return false when {@code next} is not newer than the newest known version */
    boolean offer(Plan next) {
        if (next.planVersion() <= latest.planVersion()) {
            return false;
        }
        latest = next;
        pending = next;
        if (next.resume() != null) {
            resume = next;
        }
        return true;
    }

    /** The version that takes over from version {@code running}, or null while none does. */
    Plan next(int running) {
        Plan p = resume != null && resume.planVersion() > running ? resume : pending;
        return p != null && p.planVersion() > running ? p : null;
    }

    /** As {@link #next}, and the version is no longer pending. */
    Plan take(int running) {
        Plan p = next(running);
        if (p != null && p == resume) {
            resume = null;
        }
        if (p != null && p == pending) {
            pending = null;
        }
        return p;
    }

    /** The version a run that has not started yet begins with. */
    Plan first() {
        Plan p = take(0);
        return p != null ? p : latest;
    }
}
