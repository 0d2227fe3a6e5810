package io.crosstrain.jobapi.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import io.crosstrain.contracts.JobCommand;
import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.jobapi.persistence.JobRepository;
import io.crosstrain.jobapi.persistence.MetricRepository;
import io.crosstrain.jobapi.persistence.OutboxRepository;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/**
 * The job lifecycle. Every change of state is checked with {@link JobState#canMoveTo}, recorded in the history and
 * announced by a job event written to the outbox in the same transaction, so an event is published if and only if
 * the change was committed. Changes to one job are serialised by locking its row.
 */
@Service
public class JobService {

    private static final Logger log = LoggerFactory.getLogger(JobService.class);

    /** What became of an incoming record; lets callers and tests see why nothing changed. */
    public enum Outcome { APPLIED, DUPLICATE, IGNORED }

    private final JobRepository jobs;
    private final MetricRepository metrics;
    private final OutboxRepository outbox;
    private final CheckpointService checkpoints;
    private final Clock clock;

    public JobService(JobRepository jobs, MetricRepository metrics, OutboxRepository outbox,
                      CheckpointService checkpoints, Clock clock) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.outbox = outbox;
        this.checkpoints = checkpoints;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- submit and read

    /** A submit's result; {@code replayed} when an earlier submit with the same Idempotency-Key made the job. */
    public record Submitted(Job job, boolean replayed) {
    }

    static final int MAX_IDEMPOTENCY_KEY = 200;
    static final int MAX_REASON = 500;

    /** Validates, stores the job as PENDING and queues its SUBMITTED event, all or nothing. */
    @Transactional
    public Job submit(JobSpec requested) {
        return submit(requested, Caller.INTERNAL, null).job();
    }

    /**
     * Submits on behalf of {@code caller}: a user's job belongs to the user's tenant. With an Idempotency-Key, a
     * repeated submit of the same spec answers with the job the first one made; the same key with another spec is
     * refused, so a client's retry can never start a job twice or silently get a different one.
     */
    @Transactional
    public Submitted submit(JobSpec requested, Caller caller, String idempotencyKey) {
        JobSpec owned = owned(requested, caller);
        if (idempotencyKey == null) {
            return new Submitted(create(UUID.randomUUID(), owned, JobRepository.Submission.NONE), false);
        }
        checkIdempotencyKey(idempotencyKey);
        JobSpec spec = JobSpecValidator.validate(owned, jobs::exists);
        String hash = requestHash(spec);
        Optional<Map.Entry<Job, String>> earlier = jobs.findByIdempotencyKey(spec.tenantOrDefault(), idempotencyKey);
        if (earlier.isPresent()) {
            return replay(earlier.get(), hash);
        }
        Job created = create(UUID.randomUUID(), spec, new JobRepository.Submission(idempotencyKey, hash));
        if (created == null) { // a concurrent submit with the same key won
            return replay(jobs.findByIdempotencyKey(spec.tenantOrDefault(), idempotencyKey).orElseThrow(), hash);
        }
        return new Submitted(created, false);
    }

    private static Submitted replay(Map.Entry<Job, String> earlier, String hash) {
        if (!hash.equals(earlier.getValue())) {
            throw RequestRejectedException.unprocessable("Idempotency-Key",
                    "was used before with a different job spec (job " + earlier.getKey().id() + ")");
        }
        return new Submitted(earlier.getKey(), true);
    }

    static JobSpec owned(JobSpec requested, Caller caller) {
        if (requested == null) {
            throw RequestRejectedException.invalid(List.of(new FieldError("body", "a job spec is required")));
        }
        if (caller.admin()) {
            return requested.tenant() == null ? requested.withTenant(caller.tenant()) : requested;
        }
        if (requested.tenant() != null && !requested.tenant().equals(caller.tenant())) {
            throw RequestRejectedException.unprocessable("tenant",
                    "must be your own tenant '" + caller.tenant() + "' or absent");
        }
        DatasetSpec dataset = requested.dataset();
        if (dataset != null && DatasetSpec.PATH.equals(dataset.kind()) && !Uploads.mayUse(caller.tenant(),
                dataset.path())) {
            throw RequestRejectedException.invalid(List.of(new FieldError("dataset.path", "must be one of your "
                    + "tenant's uploads (" + Uploads.folderOf(caller.tenant()) + "<sha256>.txt, as POST "
                    + "/api/v1/datasets answers)")));
        }
        return requested.withTenant(caller.tenant());
    }

    private static void checkIdempotencyKey(String key) {
        if (key.isBlank() || key.length() > MAX_IDEMPOTENCY_KEY || !key.chars().allMatch(c -> c > 32 && c < 127)) {
            throw RequestRejectedException.invalid(List.of(new FieldError("Idempotency-Key",
                    "must be 1-" + MAX_IDEMPOTENCY_KEY + " printable ASCII characters without spaces")));
        }
    }

    /** Of the validated spec, so equivalent spellings of one request (defaults given or left out) match. */
    private static String requestHash(JobSpec spec) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(spec.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the job, or null when its Idempotency-Key is already taken (nothing was written then) */
    private Job create(UUID id, JobSpec requested, JobRepository.Submission submission) {
        JobSpec spec = JobSpecValidator.validate(requested, jobs::exists);
        Instant now = now();
        String reason = "submitted";
        if (!jobs.insert(id, spec, JobState.PENDING, reason, now, submission)) {
            return null;
        }
        jobs.addHistory(id, null, JobState.PENDING, reason, now);
        outbox.add(new JobEvent(UUID.randomUUID(), id, JobEvent.SUBMITTED, JobState.PENDING, spec, reason, now));
        return jobs.find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Job get(UUID id) {
        return get(id, Caller.INTERNAL);
    }

    /** Another tenant's job is answered like a missing one: its existence is not the caller's business. */
    @Transactional(readOnly = true)
    public Job get(UUID id, Caller caller) {
        return jobs.find(id).filter(caller::mayAccess).orElseThrow(() -> notFound(id));
    }

    /** A page of jobs the caller may see, newest first, and how many there are in all. */
    public record Page(List<Job> jobs, long total) {
    }

    @Transactional(readOnly = true)
    public Page list(JobState state, int limit, int offset, Caller caller, String tenantFilter) {
        String tenant = caller.admin() ? tenantFilter : caller.tenant();
        if (!caller.admin() && tenantFilter != null && !tenantFilter.equals(caller.tenant())) {
            throw RequestRejectedException.invalid(List.of(new FieldError("tenant",
                    "you can list your own tenant's jobs only")));
        }
        return new Page(jobs.list(tenant, state, limit, offset), jobs.count(tenant, state));
    }

    @Transactional(readOnly = true)
    public List<HistoryEntry> history(UUID id, Caller caller) {
        get(id, caller);
        return jobs.history(id);
    }

    /** The latest plan exactly as the scheduler published it. */
    @Transactional(readOnly = true)
    public String planJson(UUID id, Caller caller) {
        get(id, caller);
        return jobs.planJson(id)
                .orElseThrow(() -> RequestRejectedException.notFound("job " + id + " is not planned yet"));
    }

    @Transactional(readOnly = true)
    public List<StepMetric> metrics(UUID id, int fromStep, int limit, Caller caller) {
        get(id, caller);
        return metrics.list(id, fromStep, limit);
    }

    @Transactional(readOnly = true)
    public Report report(UUID id) {
        return report(id, Caller.INTERNAL);
    }

    @Transactional(readOnly = true)
    public Report report(UUID id, Caller caller) {
        Job job = get(id, caller);
        List<StepMetric> all = metrics.all(id);
        Optional<Plan> plan = jobs.plan(id);
        if (all.stream().noneMatch(m -> m.error() == null) || plan.isEmpty()) {
            throw RequestRejectedException.notYet("no metrics yet");
        }
        Report.Baseline baseline = jobs.succeededBaselineOf(id)
                .flatMap(b -> jobs.plan(b).map(p -> new Report.Baseline(b,
                        ReportCalculator.measuredEta(p, metrics.all(b)))))
                .orElse(null);
        List<Plan> versions = jobs.planVersions(id);
        return ReportCalculator.compute(id, job.name(), job.state(), plan.get(),
                versions.isEmpty() ? List.of(plan.get()) : versions, all, baseline)
                .withCheckpoints(checkpoints.list(id));
    }

    /**
     * Cancels an active job: a PENDING or SUSPENDED one at once (no worker runs it), a planned or running one by
     * CANCELLING, which becomes CANCELLED when its workers have stopped. Cancelling a job that is already being
     * cancelled changes nothing.
     */
    @Transactional
    public Job cancel(UUID id, Caller caller, String reason) {
        Job job = jobs.lock(id).filter(caller::mayAccess).orElseThrow(() -> notFound(id));
        if (reason != null && reason.length() > MAX_REASON) {
            throw RequestRejectedException.invalid(List.of(new FieldError("reason",
                    "at most " + MAX_REASON + " characters")));
        }
        if (job.state().terminal()) {
            throw RequestRejectedException.conflict("state",
                    "job " + id + " is " + job.state() + "; only an active job can be cancelled");
        }
        if (job.state() != JobState.CANCELLING) {
            applyCommand(new JobCommand(JobCommand.CANCEL, id, null,
                    blank(reason) ? "cancelled by " + (caller.admin() ? "an admin" : "tenant " + caller.tenant())
                            : reason));
        }
        return jobs.find(id).orElseThrow();
    }

    /**
     * Asks for a SUSPENDED job to be resumed from its last checkpoint now: announces RESUME_REQUESTED through the
     * outbox; the scheduler answers with a plan that resumes it (which makes it RECOVERING). The state is unchanged.
     */
    @Transactional
    public Job resume(UUID id, Caller caller) {
        Job job = jobs.lock(id).filter(caller::mayAccess).orElseThrow(() -> notFound(id));
        if (job.state() != JobState.SUSPENDED) {
            throw RequestRejectedException.conflict("state",
                    "job " + id + " is " + job.state() + "; only a SUSPENDED job can be resumed");
        }
        outbox.add(new JobEvent(UUID.randomUUID(), id, JobEvent.RESUME_REQUESTED, job.state(), null,
                "resume requested by " + (caller.admin() ? "an admin" : "tenant " + caller.tenant()), now()));
        return job;
    }

    // ---------------------------------------------------------------- Kafka inputs

    /** Stores a newer plan; a PENDING job becomes SCHEDULED. Metrics that overtook the plan are evaluated now. */
    @Transactional
    public Outcome applyPlan(Plan plan, String planJson) {
        Optional<Job> found = jobs.lock(plan.jobId());
        if (found.isEmpty()) {
            log.warn("plan v{} for unknown job {} ignored", plan.planVersion(), plan.jobId());
            return Outcome.IGNORED;
        }
        Job job = found.get();
        if (job.state().terminal()) {
            log.info("plan v{} for {} job {} ignored", plan.planVersion(), job.state(), job.id());
            return Outcome.IGNORED;
        }
        if (job.planVersion() != null && plan.planVersion() <= job.planVersion()) {
            return Outcome.DUPLICATE;
        }
        jobs.storePlan(job.id(), planJson, plan.planVersion(), now());
        JobState state = job.state();
        if (state == JobState.PENDING) {
            state = move(job.id(), state, JobState.SCHEDULED, "plan v" + plan.planVersion() + ": "
                    + plan.devices().size() + " devices in " + datacenters(plan) + " datacenters");
        } else if (plan.resume() != null && (state == JobState.SUSPENDED || state == JobState.RUNNING)) {
            state = move(job.id(), state, JobState.RECOVERING, "plan v" + plan.planVersion()
                    + " resumes from the checkpoint of step " + plan.resume().step() + " on "
                    + plan.devices().size() + " devices: " + plan.reason());
        } else if (plan.recovery() && state == JobState.RUNNING) {
            // RUNNING again once metrics arrive under the new version (evaluate)
            state = move(job.id(), state, JobState.RECOVERING, "plan v" + plan.planVersion() + " from step "
                    + plan.startStep() + " on " + plan.devices().size() + " devices: " + plan.reason());
        }
        if (plan.resume() != null) {
            // the steps after the checkpoint are done again: progress shows where training really is
            jobs.rewindStep(job.id(), (int) plan.resume().step(), now());
        }
        evaluate(job.id(), state, plan, null);
        return Outcome.APPLIED;
    }

    /**
     * Counts a step metric exactly once and advances the job: SCHEDULED → RUNNING on the first metric, FAILED on a
     * device error or diverged replicas, SUCCEEDED once every device of the plan has sent its last metric.
     */
    @Transactional
    public Outcome applyMetric(StepMetric m) {
        Optional<Job> found = jobs.lock(m.jobId());
        if (found.isEmpty()) {
            log.debug("metric for unknown job {} ignored", m.jobId());
            return Outcome.IGNORED;
        }
        Job job = found.get();
        if (job.state().terminal()) {
            return Outcome.IGNORED;
        }
        if (!metrics.insert(m)) {
            return Outcome.DUPLICATE;
        }
        if (job.planVersion() == null || m.planVersion() > job.planVersion()) {
            // arrived before its plan (the topics are consumed independently): the plan's arrival evaluates it
            return Outcome.APPLIED;
        }
        if (m.planVersion() < job.planVersion()) {
            // late from an older version: its hash is still compared with that version's other replicas
            Optional<Plan> older = jobs.plan(job.id(), m.planVersion());
            if (m.weightsHash() != null && older.isPresent()) {
                checkReplicas(job.id(), job.state(), older.get(), List.of(m.step()));
            }
            return Outcome.APPLIED;
        }
        Plan plan = jobs.plan(job.id()).orElseThrow();
        evaluate(job.id(), job.state(), plan, m);
        return Outcome.APPLIED;
    }

    @Transactional
    public Outcome applyCommand(JobCommand command) {
        switch (command.type()) {
            case JobCommand.SUBMIT -> {
                UUID id = command.jobId() != null ? command.jobId() : UUID.randomUUID();
                if (jobs.exists(id)) {
                    return Outcome.DUPLICATE; // a client retrying its submit
                }
                if (command.spec() == null) {
                    throw new IllegalArgumentException("submit command without a spec");
                }
                create(id, command.spec(), JobRepository.Submission.NONE);
                return Outcome.APPLIED;
            }
            case JobCommand.FAIL -> {
                String reason = blank(command.reason()) ? "failed" : command.reason();
                return command(command, current -> JobState.FAILED, reason);
            }
            case JobCommand.CANCEL -> {
                String reason = blank(command.reason()) ? "cancelled" : command.reason();
                // nothing runs for a PENDING or SUSPENDED job; otherwise the workers must stop first
                return command(command, current -> current == JobState.PENDING || current == JobState.SUSPENDED
                        ? JobState.CANCELLED : JobState.CANCELLING, reason);
            }
            case JobCommand.SUSPEND -> {
                String reason = blank(command.reason()) ? "every device was lost" : command.reason();
                // the lifecycle allows it from SCHEDULED, RUNNING and RECOVERING only; elsewhere it is ignored
                return command(command, current -> JobState.SUSPENDED, reason);
            }
            default -> throw new IllegalArgumentException("unknown command type '" + command.type() + "'");
        }
    }

    private Outcome command(JobCommand command, UnaryOperator<JobState> target, String reason) {
        if (command.jobId() == null) {
            throw new IllegalArgumentException(command.type() + " command without a jobId");
        }
        Optional<Job> found = jobs.lock(command.jobId());
        if (found.isEmpty()) {
            log.warn("{} command for unknown job {} ignored", command.type(), command.jobId());
            return Outcome.IGNORED;
        }
        Job job = found.get();
        JobState to = target.apply(job.state());
        if (!job.state().canMoveTo(to)) {
            log.info("{} command for {} job {} ignored", command.type(), job.state(), job.id());
            return Outcome.IGNORED;
        }
        move(job.id(), job.state(), to, reason);
        return Outcome.APPLIED;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    // ---------------------------------------------------------------- the state machine

    /**
     * Brings the job's state in line with the metrics of the current plan. With a {@code trigger} only what that
     * metric can change is looked at; without one (a plan just arrived) everything already stored is.
     */
    private void evaluate(UUID id, JobState state, Plan plan, StepMetric trigger) {
        int version = plan.planVersion();
        List<String> devices = plan.devices().stream().sorted(Comparator.comparingInt(PlanDevice::rank))
                .map(PlanDevice::deviceId).toList();

        Optional<String> error = trigger != null
                ? Optional.ofNullable(trigger.error()).map(e -> "device " + trigger.deviceId() + ": " + e)
                : metrics.firstError(id, version);
        if (error.isPresent()) {
            move(id, state, JobState.FAILED, error.get());
            return;
        }
        if (trigger == null && !metrics.any(id, version)) {
            return;
        }
        if (state == JobState.SCHEDULED || state == JobState.RECOVERING) {
            state = move(id, state, JobState.RUNNING, "step metrics arriving under plan v" + version);
        }

        List<Integer> hashed = trigger != null
                ? (trigger.weightsHash() != null ? List.of(trigger.step()) : List.of())
                : metrics.stepsWithHashes(id, version);
        if (!checkReplicas(id, state, plan, hashed)) {
            return;
        }

        Map<String, Integer> latest = metrics.latestStepByDevice(id, version);
        if (!devices.isEmpty() && latest.keySet().containsAll(devices)) {
            int step = devices.stream().mapToInt(latest::get).min().orElse(0);
            jobs.advanceStep(id, step, now());
        }

        if (!devices.isEmpty() && new HashSet<>(metrics.finishedDevices(id, version)).containsAll(devices)) {
            // a job being cancelled that still ran to its end is cancelled, not succeeded
            if (state == JobState.CANCELLING) {
                move(id, state, JobState.CANCELLED, "all " + devices.size() + " devices stopped");
            } else {
                move(id, state, JobState.SUCCEEDED, "all " + devices.size() + " devices finished");
            }
        }
    }

    /**
     * Compares the hashes of {@code steps} among the plan version's devices that hold the same parameter range (whole
     * replicas with whole replicas, a stage with the same stage of the other replicas, {@link ReplicaCheck}); fails
     * the job and says false if any differ.
     */
    private boolean checkReplicas(UUID id, JobState state, Plan plan, List<Integer> steps) {
        for (int step : steps) {
            Optional<String> diverged = ReplicaCheck.divergence(step, plan,
                    metrics.hashesAt(id, plan.planVersion(), step));
            if (diverged.isPresent()) {
                move(id, state, JobState.FAILED, diverged.get());
                return false;
            }
        }
        return true;
    }

    /** Applies one transition if the lifecycle allows it; returns the state the job is in afterwards. */
    private JobState move(UUID id, JobState from, JobState to, String reason) {
        if (!from.canMoveTo(to)) {
            log.warn("job {}: {} -> {} is not allowed ({}); ignored", id, from, to, reason);
            return from;
        }
        Instant now = now();
        jobs.updateState(id, to, reason, now);
        jobs.addHistory(id, from, to, reason, now);
        outbox.add(new JobEvent(UUID.randomUUID(), id, JobEvent.STATE_CHANGED, to, null, reason, now));
        log.info("job {}: {} -> {} ({})", id, from, to, reason);
        return to;
    }

    private static long datacenters(Plan plan) {
        return plan.devices().stream().map(PlanDevice::datacenter).distinct().count();
    }

    /** Microseconds: what PostgreSQL keeps, so a job reads back exactly as it was returned. */
    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MICROS);
    }

    private static RequestRejectedException notFound(UUID id) {
        return RequestRejectedException.notFound("no job with id " + id);
    }
}
