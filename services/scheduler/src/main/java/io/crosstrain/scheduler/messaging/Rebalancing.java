package io.crosstrain.scheduler.messaging;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.planner.rebalance.RebalanceDecision;
import io.crosstrain.planner.rebalance.Rebalancer;
import io.crosstrain.scheduler.config.SchedulerProperties;
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * The closed loop of ARCHITECTURE.md §5: every job's measured per-device speeds go through a {@link Rebalancer};
 * when one drifts from the plan for several steps, the job is re-planned with the measured speeds, taking over
 * {@code rebalance-lead} rounds after the step that fired, so every device has the plan before it gets there.
 * Equal-split jobs are baselines and are never rebalanced.
 */
@Component
class Rebalancing {

    private final SchedulerStore store;
    private final Replanning replanning;
    private final SchedulerProperties props;
    private final Map<UUID, Rebalancer> detectors = new ConcurrentHashMap<>();
    /** Jobs whose plan up to this version is not rebalanced (equal-split baselines). */
    private final Map<UUID, Integer> notRebalanced = new ConcurrentHashMap<>();

    Rebalancing(SchedulerStore store, Replanning replanning, SchedulerProperties props) {
        this.store = store;
        this.replanning = replanning;
        this.props = props;
    }

    void observe(StepMetric m) {
        if (!props.rebalance().enabled() || m.samplesPerSec() <= 0 || m.error() != null) {
            return;
        }
        Integer skipped = notRebalanced.get(m.jobId());
        if (skipped != null && m.planVersion() <= skipped) {
            return; // an equal-split baseline: known without asking the database again
        }
        Rebalancer detector = detectors.get(m.jobId());
        Optional<RebalanceDecision> decision;
        synchronized (this) {
            long known = detector == null ? -1 : detector.planVersion().orElse(-1);
            if (m.planVersion() > known) {
                Plan plan = store.latestPlan(m.jobId()).orElse(null);
                if (plan == null || plan.planVersion() != m.planVersion() || plan.planVersion() <= known) {
                    return; // a metric of a version that is not (or no longer) the newest
                }
                if (JobSpec.EQUAL.equals(plan.allocation())) {
                    notRebalanced.put(m.jobId(), plan.planVersion());
                    return;
                }
                if (detector == null) {
                    detector = new Rebalancer(props.rebalance().threshold(), props.rebalance().consecutive(),
                            props.rebalance().window());
                    detectors.put(m.jobId(), detector);
                }
                Map<String, Double> planned = new LinkedHashMap<>();
                plan.devices().forEach(d -> planned.put(d.deviceId(), d.chipSamplesPerSec()));
                detector.plan(plan.planVersion(), planned);
            }
            decision = detector.observe(m.deviceId(), m.planVersion(), m.step(), m.samplesPerSec());
        }
        decision.ifPresent(d -> replanning.rebalance(m.jobId(), (int) d.planVersion(), d.speeds(),
                (int) d.step() + props.rebalance().lead(), "rebalance: " + d.reason()));
    }

    void forget(UUID jobId) {
        detectors.remove(jobId);
        notRebalanced.remove(jobId);
    }
}
