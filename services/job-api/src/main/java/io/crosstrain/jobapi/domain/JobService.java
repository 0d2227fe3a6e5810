package io.crosstrain.jobapi.domain;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.HashSet;
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
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.JobState;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.jobapi.persistence.JobRepository;
import io.crosstrain.jobapi.persistence.MetricRepository;
import io.crosstrain.jobapi.persistence.OutboxRepository;
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
    private final Clock clock;

    public JobService(JobRepository jobs, MetricRepository metrics, OutboxRepository outbox, Clock clock) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.outbox = outbox;
        this.clock = clock;
    }

    // ---------------------------------------------------------------- submit and read

    /** Validates, stores the job as PENDING and queues its SUBMITTED event, all or nothing. */
    @Transactional
    public Job submit(JobSpec requested) {
        return create(UUID.randomUUID(), requested);
    }

    private Job create(UUID id, JobSpec requested) {
        JobSpec spec = JobSpecValidator.validate(requested, jobs::exists);
        Instant now = now();
        String reason = "submitted";
        jobs.insert(id, spec, JobState.PENDING, reason, now);
        jobs.addHistory(id, null, JobState.PENDING, reason, now);
        outbox.add(new JobEvent(UUID.randomUUID(), id, JobEvent.SUBMITTED, JobState.PENDING, spec, reason, now));
        return jobs.find(id).orElseThrow();
    }

    @Transactional(readOnly = true)
    public Job get(UUID id) {
        return jobs.find(id).orElseThrow(() -> notFound(id));
    }

    @Transactional(readOnly = true)
    public List<Job> list(JobState state, int limit) {
        return jobs.list(state, limit);
    }

    @Transactional(readOnly = true)
    public List<HistoryEntry> history(UUID id) {
        get(id);
        return jobs.history(id);
    }

    /** The latest plan exactly as the scheduler published it. */
    @Transactional(readOnly = true)
    public String planJson(UUID id) {
        get(id);
        return jobs.planJson(id)
                .orElseThrow(() -> RequestRejectedException.notFound("job " + id + " is not planned yet"));
    }

    @Transactional(readOnly = true)
    public List<StepMetric> metrics(UUID id, int fromStep, int limit) {
        get(id);
        return metrics.list(id, fromStep, limit);
    }

    @Transactional(readOnly = true)
    public Report report(UUID id) {
        Job job = get(id);
        List<StepMetric> all = metrics.all(id);
        Optional<Plan> plan = jobs.plan(id);
        if (all.stream().noneMatch(m -> m.error() == null) || plan.isEmpty()) {
            throw RequestRejectedException.notYet("no metrics yet");
        }
        Report.Baseline baseline = jobs.succeededBaselineOf(id)
                .flatMap(b -> jobs.plan(b).map(p -> new Report.Baseline(b,
                        ReportCalculator.measuredEta(p, metrics.all(b)))))
                .orElse(null);
        return ReportCalculator.compute(id, job.name(), job.state(), plan.get(), all, baseline);
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
        } else if (plan.recovery() && state == JobState.RUNNING) {
            // RUNNING again once metrics arrive under the new version (evaluate)
            state = move(job.id(), state, JobState.RECOVERING, "plan v" + plan.planVersion() + " from step "
                    + plan.startStep() + " on " + plan.devices().size() + " devices: " + plan.reason());
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
        if (job.planVersion() == null || job.planVersion() != m.planVersion()) {
            // arrived before its plan (the topics are consumed independently) or belongs to an old plan:
            // kept for the report; the plan's arrival evaluates it
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
                create(id, command.spec());
                return Outcome.APPLIED;
            }
            case JobCommand.FAIL -> {
                String reason = blank(command.reason()) ? "failed" : command.reason();
                return command(command, current -> JobState.FAILED, reason);
            }
            case JobCommand.CANCEL -> {
                String reason = blank(command.reason()) ? "cancelled" : command.reason();
                // nothing runs yet for a PENDING job; otherwise the workers must stop first
                return command(command,
                        current -> current == JobState.PENDING ? JobState.CANCELLED : JobState.CANCELLING, reason);
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
        for (int step : hashed) {
            Optional<String> diverged = ReplicaCheck.divergence(step, devices, metrics.hashesAt(id, version, step));
            if (diverged.isPresent()) {
                move(id, state, JobState.FAILED, diverged.get());
                return;
            }
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
