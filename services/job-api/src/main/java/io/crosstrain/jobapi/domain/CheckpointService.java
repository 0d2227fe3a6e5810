package io.crosstrain.jobapi.domain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.checkpoint.CheckpointKeys;
import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.checkpoint.ShardCodec;
import io.crosstrain.checkpoint.ShardState;
import io.crosstrain.contracts.CheckpointRef;
import io.crosstrain.contracts.CheckpointShard;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.jobapi.persistence.CheckpointRepository;
import io.crosstrain.jobapi.persistence.CheckpointRepository.CheckpointRow;
import io.crosstrain.jobapi.persistence.CheckpointRepository.ShardRow;
import io.crosstrain.jobapi.persistence.JobRepository;
import io.crosstrain.jobapi.persistence.OutboxRepository;

/**
 * Completes checkpoints (docs/architecture.md §13). Workers write shards to the store and announce each one; once the
 * shards one plan version wrote for a step cover the whole parameter vector, the manifest is written (the checkpoint
 * exists from then on), recorded, and announced as CHECKPOINTED through the outbox in the same transaction. A step
 * whose shards never cover the vector has no manifest and no row: it is never listed, exported or resumed from.
 */
@Service
public class CheckpointService {

    private static final Logger log = LoggerFactory.getLogger(CheckpointService.class);

    /** What became of a shard; {@code completed} is set when it completed its checkpoint. */
    public record ShardOutcome(JobService.Outcome outcome, CheckpointRef completed) {
        static ShardOutcome of(JobService.Outcome outcome) {
            return new ShardOutcome(outcome, null);
        }
    }

    private final JobRepository jobs;
    private final CheckpointRepository checkpoints;
    private final OutboxRepository outbox;
    private final CheckpointStore store;
    private final Vocabularies vocabularies;
    private final Clock clock;

    public CheckpointService(JobRepository jobs, CheckpointRepository checkpoints, OutboxRepository outbox,
                             CheckpointStore store, Vocabularies vocabularies, Clock clock) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.outbox = outbox;
        this.store = store;
        this.vocabularies = vocabularies;
        this.clock = clock;
    }

    /**
     * Records one shard and completes its checkpoint if the shards now cover the vector. Shards of finished jobs
     * count: the last step is checkpointed after the job may have succeeded.
     *
     * @throws IllegalArgumentException when the shard cannot belong to the job's model (never succeeds)
     */
    @Transactional
    public ShardOutcome applyShard(CheckpointShard s) {
        Optional<Job> found = jobs.lock(s.jobId());
        if (found.isEmpty()) {
            log.warn("checkpoint shard for unknown job {} ignored", s.jobId());
            return ShardOutcome.of(JobService.Outcome.IGNORED);
        }
        Job job = found.get();
        List<Plan> versions = jobs.planVersions(job.id());
        Optional<Plan> redoing = versions.stream()
                .filter(p -> p.planVersion() > s.planVersion() && p.resume() != null && p.startStep() <= s.step())
                .findFirst();
        if (redoing.isPresent()) {
            log.info("job {}: shard of step {} (plan v{}) ignored, plan v{} redid the step", job.id(), s.step(),
                    s.planVersion(), redoing.get().planVersion());
            return ShardOutcome.of(JobService.Outcome.IGNORED);
        }
        Plan plan = versions.stream().filter(p -> p.planVersion() == s.planVersion()).findFirst().orElse(null);
        ModelSpec model = plan != null ? plan.model() : job.spec().model();
        int vocab = vocabularies.size(plan != null && plan.dataset() != null ? plan.dataset() : job.spec().dataset());
        long parameters = model.parameters(vocab);
        if (s.total() != parameters || s.offset() + s.count() > parameters) {
            throw new IllegalArgumentException("shard [" + s.offset() + ", +" + s.count() + ") of " + s.total()
                    + " elements does not fit job " + job.id() + "'s model of " + parameters + " parameters");
        }
        if (!checkpoints.insertShard(s)) {
            return ShardOutcome.of(JobService.Outcome.DUPLICATE);
        }
        if (checkpoints.complete(job.id(), s.step(), s.planVersion())) {
            return ShardOutcome.of(JobService.Outcome.APPLIED); // a replica's copy of a range already in it
        }
        List<ShardRow> shards = checkpoints.shards(job.id(), s.step(), s.planVersion());
        if (!covers(shards, parameters)) {
            return ShardOutcome.of(JobService.Outcome.APPLIED);
        }
        String strategy = plan != null ? plan.strategy() : job.spec().strategy();
        CheckpointRef ref = complete(job, s.step(), s.planVersion(), strategy, model, vocab, parameters, shards);
        return new ShardOutcome(JobService.Outcome.APPLIED, ref);
    }

    /** Whether ranges sorted by offset leave no gap in {@code [0, parameters)}. */
    static boolean covers(List<ShardRow> byOffset, long parameters) {
        long covered = 0;
        for (ShardRow r : byOffset) {
            if (r.offset() > covered) {
                return false;
            }
            covered = Math.max(covered, r.offset() + r.count());
        }
        return covered >= parameters;
    }

    private CheckpointRef complete(Job job, long step, int version, String strategy, ModelSpec model, int vocab,
                                   long parameters, List<ShardRow> shards) {
        // the optimizer counters are in every shard's header: read the smallest shard
        ShardRow probe = shards.stream().min(Comparator.comparingLong(ShardRow::bytes)).orElseThrow();
        ShardState header;
        try {
            Optional<byte[]> bytes = store.get(probe.key());
            if (bytes.isEmpty() || !ShardCodec.sha256Hex(bytes.get()).equals(probe.sha256())) {
                log.warn("job {}: shard {} of step {} is {} in the store; checkpoint not completed", job.id(),
                        probe.key(), step, bytes.isEmpty() ? "missing" : "not the announced one");
                return null;
            }
            header = ShardCodec.decode(bytes.get());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Instant now = now();
        List<CheckpointManifest.Shard> entries = shards.stream()
                .map(r -> new CheckpointManifest.Shard(r.key(), r.offset(), r.count(), r.bytes(), r.sha256()))
                .toList();
        CheckpointManifest written;
        try {
            written = Checkpoints.writeManifest(store, new CheckpointManifest(CheckpointManifest.FORMAT, job.id(), step,
                    version, strategy, model, vocab, parameters, header.updates(), header.hasOuter(),
                    header.outerSteps(), entries, now));
        } catch (IllegalStateException e) {
            // shards gone (pruned before a redelivery) or not what they claim: this checkpoint cannot exist
            log.warn("job {}: checkpoint of step {} (plan v{}) not completed: {}", job.id(), step, version,
                    e.getMessage());
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String key = CheckpointKeys.manifest(job.id(), step);
        long bytes = written.shards().stream().mapToLong(CheckpointManifest.Shard::bytes).sum();
        double upload = shards.stream().mapToDouble(ShardRow::uploadMs).max().orElse(0);
        double pause = shards.stream().mapToDouble(ShardRow::pauseMs).max().orElse(0);
        checkpoints.upsertCheckpoint(new CheckpointRow(job.id(), step, version, key, bytes, upload, pause, now));
        CheckpointRef ref = new CheckpointRef(step, version, key, bytes);
        outbox.add(new JobEvent(UUID.randomUUID(), job.id(), JobEvent.CHECKPOINTED, job.state(), null,
                "checkpoint after step " + step + " (plan v" + version + ")", now, ref));
        log.info("job {}: checkpoint after step {} (plan v{}): {} shards, {} bytes", job.id(), step, version,
                shards.size(), bytes);
        return ref;
    }

    /**
     * Keeps the job's newest {@code keep} checkpoints (from its latest plan, else its spec) and forgets the steps
     * deleted from the store. Runs after the checkpoint's transaction: a crash in between leaves one checkpoint too
     * many until the next one.
     *
     * @return the steps forgotten
     */
    @Transactional
    public List<Long> prune(UUID jobId) {
        Job job = jobs.find(jobId).orElse(null);
        if (job == null) {
            return List.of();
        }
        Plan plan = jobs.plan(jobId).orElse(null);
        int keep = plan != null && plan.checkpoint() != null ? plan.checkpointOrDefaults().keepOrDefault()
                : job.spec().checkpointOrDefaults().keepOrDefault();
        TreeSet<Long> steps = new TreeSet<>();
        try {
            for (String key : Checkpoints.prune(store, jobId, Math.max(1, keep))) {
                OptionalLong step = CheckpointKeys.stepOf(key);
                step.ifPresent(steps::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        checkpoints.deleteSteps(jobId, steps);
        return new ArrayList<>(steps);
    }

    /** The job's checkpoints, oldest first. */
    @Transactional(readOnly = true)
    public List<Report.Checkpoint> list(UUID jobId) {
        return checkpoints.list(jobId).stream().map(this::view).toList();
    }

    /** The checkpoint of {@code step}, or the newest when {@code step} is null. */
    @Transactional(readOnly = true)
    public Optional<CheckpointRow> find(UUID jobId, Long step) {
        return checkpoints.find(jobId, step);
    }

    Report.Checkpoint view(CheckpointRow r) {
        return new Report.Checkpoint(r.step(), r.planVersion(), r.bytes(), r.uploadMs(), r.pauseMs(),
                store.location(r.manifestKey()), r.manifestKey(), r.createdAt());
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }
}
