package io.crosstrain.scheduler.domain;

import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.ResumePoint;

/** Where a suspended job resumes from, and how the scheduler says so (suspend command, resume plan, queue). */
public final class Resumes {

    private Resumes() {
    }

    /** The latest complete checkpoint, or the job's initial weights (step 0) when it has none. */
    public static ResumePoint pointOf(CheckpointRef latest) {
        return latest == null || latest.step() <= 0 || latest.manifest() == null ? ResumePoint.fromStart()
                : new ResumePoint(latest.step(), latest.manifest());
    }

    /** The suspend command's reason: what happened, and what the job will resume from. */
    public static String suspendReason(String why, CheckpointRef latest) {
        return why + "; suspended until devices are free, then resumes from " + describe(pointOf(latest));
    }

    public static String describe(ResumePoint p) {
        return p.fromInitialWeights() ? "its initial weights (no checkpoint yet)"
                : "checkpoint step " + p.step() + " (" + p.manifest() + ")";
    }

    /** The reason of the plan version that resumes the job. */
    public static String resumeReason(ResumePoint p) {
        return "resume from checkpoint step " + p.step() + (p.fromInitialWeights() ? " (initial weights)" : "");
    }
}
