package io.crosstrain.worker.domain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.Topics;
import io.crosstrain.training.Corpus;

/**
 * Carries one node's devices of a job from one plan version into the next, on the job's coordinator thread between
 * segments. A device that holds the same part of the model in both versions keeps its path. A device new to the
 * job, or whose parameter range changed (a re-plan laid its datacenter out anew), gets a fresh path that starts from
 * the committed state of exactly its new range after step {@code from − 1}: put together from this node's own paths
 * when they cover the range, else from the ranges every node of the previous version publishes at the switch. A
 * version that resumes the whole job from a checkpoint replaces every path instead ({@link CheckpointResume}).
 */
final class StateHandover {

    private static final Logger log = LoggerFactory.getLogger(StateHandover.class);

    private final UUID jobId;
    /** The job run's paths by device id; replaced here, between segments only. */
    private final Map<String, DeviceStepPath> paths;
    private final Corpus corpus;
    private final JobRun.Outbox outbox;
    private final JobRun.StateSource states;
    /** Large ranges go to the store, model-state carries a pointer. */
    private final StateClaimCheck claims;
    private final CheckpointResume resume;

    /** @param store the node's checkpoint store; null = ranges always inline, resume from the seed only */
    StateHandover(UUID jobId, Map<String, DeviceStepPath> paths, Corpus corpus, JobRun.Outbox outbox,
                  JobRun.StateSource states, io.crosstrain.checkpoint.CheckpointStore store) {
        this.jobId = jobId;
        this.paths = paths;
        this.corpus = corpus;
        this.outbox = outbox;
        this.states = states;
        this.claims = new StateClaimCheck(store);
        this.resume = new CheckpointResume(jobId, paths, corpus, store);
    }

    /**
     * At a switch to {@code next} from step {@code from}: when a device of {@code next} needs state, this node
     * publishes the state after step {@code from − 1} of each distinct range its devices of {@code previous} hold,
     * one copy per range. Every node does so, so the ranges of every surviving replica reach the topic and a needer
     * finds its range even when the replica that held it exactly lost a device.
     */
    void publishAtSwitch(Plan previous, List<PlanDevice> previousLocal, Plan next, long from) {
        if (from <= 1 || next.resume() != null || !needsState(previous, next)) {
            return; // no device needs state: before step 1 all start from the seed, on a resume from the checkpoint
        }
        if (!previous.pipelined() && previous.outerAfter(from - 1)) {
            return; // the outer round of that step published exactly this state already
        }
        Set<NodeReducer.Part> published = new HashSet<>();
        int records = 0;
        for (PlanDevice d : previousLocal) {
            DeviceStepPath path = paths.get(d.deviceId());
            if (path != null && published.add(path.part())) {
                records += publish(path, next.planVersion(), from - 1);
            }
        }
        log.info("job {}: published the state after step {} of {} range(s) ({} records) for plan v{}", jobId,
                from - 1, published.size(), records, next.planVersion());
    }

    /** Whether a device of {@code next} is new to the job or holds another range than in {@code previous}. */
    private boolean needsState(Plan previous, Plan next) {
        int vocab = corpus.vocabSize();
        Map<String, PlanDevice> before = new HashMap<>();
        previous.devices().forEach(d -> before.put(d.deviceId(), d));
        return next.devices().stream().anyMatch(d -> {
            PlanDevice b = before.get(d.deviceId());
            return b == null
                    || !DeviceStepPath.partOf(previous, b, vocab).equals(DeviceStepPath.partOf(next, d, vocab));
        });
    }

    /**
     * A path's committed state of its range after {@code round} on the compacted model-state topic: as chunks, or,
     * above {@link StateClaimCheck#INLINE_LIMIT_BYTES}, in the store with a pointer on the topic. Records sent.
     */
    int publish(DeviceStepPath source, int planVersion, long round) {
        NodeReducer.Part part = source.part();
        ModelStateCodec.Snapshot state = source.snapshot();
        List<ModelStateCodec.Record> records = null;
        if (!claims.inline(part.length(), state.outer() != null)) {
            try {
                records = List.of(claims.put(jobId, planVersion, round, part.offset(), source.device().nodeId(),
                        state));
            } catch (java.io.IOException | RuntimeException e) {
                log.warn("job {}: the state of [{}, +{}) after step {} goes inline: the store failed ({})", jobId,
                        part.offset(), part.length(), round, e.toString());
            }
        }
        if (records == null) {
            records = ModelStateCodec.encodeRange(jobId, planVersion, round, part.offset(), source.totalParameters(),
                    state.trainer(), state.outer());
        }
        records.forEach(r -> outbox.sendGradient(Topics.MODEL_STATE, r.key(), r.value()));
        return records.size();
    }

    /**
     * Gives every local device of {@code plan} its path from step {@code from} on and closes the others.
     *
     * @return null, or why a device could not get the state it starts from
     */
    String preparePaths(Plan plan, List<PlanDevice> local, long from, BooleanSupplier abandoned) {
        if (plan.resume() != null) {
            return resume.preparePaths(plan, local);
        }
        Map<String, DeviceStepPath> next = new HashMap<>();
        List<DeviceStepPath> created = new ArrayList<>();
        Map<NodeReducer.Part, ModelStateCodec.Snapshot> fetched = new HashMap<>();
        long fallbackSamples = paths.values().stream().mapToLong(DeviceStepPath::samplesSinceOuter).findFirst()
                .orElse(0);
        for (PlanDevice d : local) {
            DeviceStepPath old = paths.get(d.deviceId());
            if (old != null && old.keepsPartIn(plan, d)) {
                old.rebind(plan, d);
                next.put(d.deviceId(), old);
                continue;
            }
            DeviceStepPath fresh = new DeviceStepPath(plan, d, corpus.tokens(), corpus.vocabSize());
            created.add(fresh);
            if (from > 1) {
                NodeReducer.Part part = fresh.part();
                ModelStateCodec.Snapshot state = fetched.get(part);
                if (state == null) {
                    state = stateOf(plan, part, from - 1, abandoned);
                }
                if (state == null) {
                    created.forEach(DeviceStepPath::close);
                    return "device " + d.deviceId() + " cannot start plan v" + plan.planVersion() + " of job " + jobId
                            + " at step " + from + ": the model state of its parameters [" + part.offset() + ", "
                            + (part.offset() + part.length()) + ") after step " + (from - 1) + " did not arrive";
                }
                fetched.put(part, state);
                fresh.resume(state, old != null ? old.samplesSinceOuter() : fallbackSamples);
                log.info("job {}: device {} starts plan v{} at step {} with the state of parameters [{}, {}) after "
                        + "step {}", jobId, d.deviceId(), plan.planVersion(), from, part.offset(),
                        part.offset() + part.length(), from - 1);
            }
            next.put(d.deviceId(), fresh);
        }
        // what the devices held before is now in the new paths (or published): the old paths are done
        paths.forEach((id, p) -> {
            if (next.get(id) != p) {
                p.close();
            }
        });
        paths.clear();
        paths.putAll(next);
        return null;
    }

    /**
     * The state of one range after {@code round}: from this node's paths (which hold the state after that round) when
     * together they cover it, else from the ranges published for the switch.
     */
    private ModelStateCodec.Snapshot stateOf(Plan plan, NodeReducer.Part part, long round,
                                             BooleanSupplier abandoned) {
        ModelStateCodec.RangeAssembler held = new ModelStateCodec.RangeAssembler(jobId, round, part.offset(),
                part.length(), plan.diloco());
        Set<NodeReducer.Part> offered = new HashSet<>();
        for (DeviceStepPath p : paths.values()) {
            NodeReducer.Part h = p.part();
            boolean meets = h.offset() < part.offset() + part.length() && h.offset() + h.length() > part.offset();
            if (meets && offered.add(h)) {
                held.offer(h.offset(), p.snapshot());
            }
        }
        if (held.complete()) {
            return held.snapshot();
        }
        return states.awaitRange(jobId, plan.planVersion(), round, part.offset(), part.length(), plan.diloco(),
                abandoned).orElse(null);
    }
}
