package io.crosstrain.contracts;

/**
 * Where a plan version that resumes a whole job takes its state from: the checkpoint taken after {@code step}. Every
 * device of such a version starts from that checkpoint, whatever it holds itself; the version's {@code startStep} is
 * {@code step + 1}.
 *
 * @param step     the last step the checkpoint holds (0 = the job's initial weights, derived from its seed)
 * @param manifest the checkpoint manifest's key in the store; null when {@code step} is 0
 */
public record ResumePoint(long step, String manifest) {

    public static ResumePoint fromStart() {
        return new ResumePoint(0, null);
    }

    public boolean fromInitialWeights() {
        return step == 0 || manifest == null;
    }
}
