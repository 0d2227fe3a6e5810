package io.crosstrain.worker.domain;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.ResumePoint;
import io.crosstrain.training.Corpus;

/**
 * Starts the local devices of a plan version that resumes the whole job ({@link Plan#resume}): every device gets a
 * fresh path at the version's start step, loaded with its own parameter range from the checkpoint (or, resuming from
 * step 0, the initial weights of the seed). Whatever a device held before is thrown away, even when it is ahead of the
 * checkpoint: every replica must restart from the same committed state.
 */
final class CheckpointResume {

    private static final Logger log = LoggerFactory.getLogger(CheckpointResume.class);

    private final UUID jobId;
    /** The job run's paths by device id; replaced here, between segments only. */
    private final Map<String, DeviceStepPath> paths;
    private final Corpus corpus;
    /** Null when the node has no store: only a resume from the initial weights works then. */
    private final CheckpointStore store;

    CheckpointResume(UUID jobId, Map<String, DeviceStepPath> paths, Corpus corpus, CheckpointStore store) {
        this.jobId = jobId;
        this.paths = paths;
        this.corpus = corpus;
        this.store = store;
    }

    /** @return null, or why the devices cannot start (naming the manifest) */
    String preparePaths(Plan plan, List<PlanDevice> local) {
        ResumePoint point = plan.resume();
        Map<String, DeviceStepPath> next = new HashMap<>();
        try {
            CheckpointManifest manifest = point.fromInitialWeights() ? null : manifest(plan, point);
            Map<NodeReducer.Part, ModelStateCodec.Snapshot> read = new HashMap<>();
            for (PlanDevice d : local) {
                DeviceStepPath fresh = new DeviceStepPath(plan, d, corpus.tokens(), corpus.vocabSize());
                next.put(d.deviceId(), fresh);
                if (manifest == null) {
                    continue; // the seed's initial weights, as at step 1
                }
                NodeReducer.Part part = fresh.part();
                ModelStateCodec.Snapshot state = read.get(part);
                if (state == null) {
                    state = Checkpointing.snapshotOf(Checkpoints.range(store, manifest, part.offset(),
                            part.length()), plan.diloco());
                    read.put(part, state);
                }
                // a checkpoint is taken right after an outer round: nothing sampled since
                fresh.resume(state, 0);
            }
        } catch (IOException | RuntimeException e) {
            next.values().forEach(DeviceStepPath::close);
            return "devices " + local.stream().map(PlanDevice::deviceId).toList() + " cannot resume job " + jobId
                    + " (plan v" + plan.planVersion() + ") from the checkpoint after step " + point.step() + " ("
                    + where(point) + "): " + e.getMessage();
        }
        paths.values().forEach(DeviceStepPath::close);
        paths.clear();
        paths.putAll(next);
        log.info("job {}: devices {} resume plan v{} at step {} from {}", jobId, next.keySet(), plan.planVersion(),
                plan.startStep(), point.fromInitialWeights() ? "the initial weights" : where(point));
        return null;
    }

    private CheckpointManifest manifest(Plan plan, ResumePoint point) throws IOException {
        if (store == null) {
            throw new IOException("this worker has no checkpoint store configured");
        }
        CheckpointManifest m = Checkpoints.read(store, point.manifest());
        long parameters = plan.model().parameters(corpus.vocabSize());
        if (!jobId.equals(m.jobId()) || m.step() != point.step() || m.parameters() != parameters) {
            throw new IOException("the manifest holds job " + m.jobId() + " step " + m.step() + " with "
                    + m.parameters() + " parameters; the plan wants job " + jobId + " step " + point.step()
                    + " with " + parameters);
        }
        if (plan.diloco() && !m.outer()) {
            throw new IOException("the checkpoint has no DiLoCo outer state");
        }
        return m;
    }

    private String where(ResumePoint point) {
        String at = "";
        try {
            at = store == null ? "" : " at " + store.location(point.manifest());
        } catch (RuntimeException notAKey) {
            // the reason names the key as given
        }
        return "manifest " + point.manifest() + at;
    }
}
