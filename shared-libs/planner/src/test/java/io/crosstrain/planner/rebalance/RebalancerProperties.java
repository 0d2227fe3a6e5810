package io.crosstrain.planner.rebalance;

import static io.crosstrain.testsupport.RandomCases.between;
import static org.assertj.core.api.Assertions.assertThat;

import io.crosstrain.testsupport.RandomCases;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties of the drift detector on random clusters (1–8 devices, speeds 1–1000, threshold 1–20 %, 1–6
 * consecutive steps, window 1–9), 1,000 cases each drawn by {@link RandomCases} so a failure names a reproducible
 * case. A property draws its observation streams from the case's own generator, so the case's seed replays those too.
 */
class RebalancerProperties {

    private static final int CASES = 1_000;

    record Obs(String deviceId, long version, long step, double speed) {
    }

    record Cluster(long version, Map<String, Double> planned, double threshold, int consecutive, int window) {
        Rebalancer rebalancer() {
            Rebalancer r = new Rebalancer(threshold, consecutive, window);
            r.plan(version, planned);
            return r;
        }

        List<String> ids() {
            return new ArrayList<>(planned.keySet());
        }
    }

    @Test
    void noiseWithinTheThresholdNeverFires() {
        RandomCases.checkWithRandom(List.of(), CASES, RebalancerProperties::randomCluster, (c, random) -> {
            Rebalancer r = c.rebalancer();
            int steps = between(random, 1, 60);
            for (Obs o : stream(random, c, 1, steps, (id, step) -> c.planned().get(id) * within(random, c))) {
                assertThat(r.observe(o.deviceId(), o.version(), o.step(), o.speed())).as("%s", o).isEmpty();
            }
        });
    }

    @Test
    void aSustainedDeviationFiresExactlyAtItsConsecutiveStep() {
        RandomCases.checkWithRandom(List.of(), CASES, RebalancerProperties::randomCluster, (c, random) -> {
            Rebalancer r = c.rebalancer();
            List<String> ids = c.ids();
            String drifter = ids.get(random.nextInt(ids.size()));
            boolean slower = random.nextBoolean();
            int start = between(random, 1, 20);
            int fireStep = start + c.consecutive() - 1;
            List<Double> deviating = new ArrayList<>();
            List<Obs> obs = stream(random, c, 1, fireStep + 5, (id, step) -> {
                double planned = c.planned().get(id);
                if (!id.equals(drifter) || step < start) {
                    return planned * within(random, c);
                }
                double v = planned * beyond(random, c, slower);
                if (step <= fireStep) {
                    deviating.add(v);
                }
                return v;
            });

            RebalanceDecision decision = null;
            Obs firedOn = null;
            for (Obs o : obs) {
                Optional<RebalanceDecision> d = r.observe(o.deviceId(), o.version(), o.step(), o.speed());
                if (decision != null) {
                    assertThat(d).as("quiet after the decision: %s", o).isEmpty();
                } else if (d.isPresent()) {
                    decision = d.get();
                    firedOn = o;
                }
            }

            assertThat(decision).as("a decision").isNotNull();
            assertThat(firedOn.deviceId()).isEqualTo(drifter);
            assertThat(firedOn.step()).isEqualTo(fireStep);
            assertThat(decision.step()).isEqualTo(fireStep);
            assertThat(decision.planVersion()).isEqualTo(c.version());
            assertThat(decision.speeds().keySet()).containsExactlyElementsOf(ids);
            double estimate = decision.speeds().get(drifter);
            assertThat(estimate).isBetween(Collections.min(deviating), Collections.max(deviating));
            assertThat(estimate < c.planned().get(drifter)).isEqualTo(slower);
            for (String id : ids) {
                if (!id.equals(drifter)) {
                    assertThat(decision.speeds().get(id)).as(id).isEqualTo(c.planned().get(id));
                }
            }
            assertThat(decision.drifts()).hasSize(1);
            assertThat(decision.reason()).startsWith("device " + drifter + " measured ")
                    .endsWith(" for " + c.consecutive() + (c.consecutive() == 1 ? " step" : " steps"));
        });
    }

    @Test
    void duplicatesAndOtherVersionsDoNotChangeTheOutcome() {
        RandomCases.checkWithRandom(List.of(), CASES, RebalancerProperties::randomCluster, (c, random) -> {
            List<String> ids = c.ids();
            // every device drifts from a random step on, by a random amount, so decisions vary from case to case
            Map<String, Integer> starts = new LinkedHashMap<>();
            for (String id : ids) {
                starts.put(id, random.nextInt(4) == 0 ? Integer.MAX_VALUE : between(random, 1, 30));
            }
            List<Obs> clean = stream(random, c, 1, 40, (id, step) -> c.planned().get(id)
                    * (step >= starts.get(id) ? beyond(random, c, random.nextBoolean()) : within(random, c)));
            List<Obs> noisy = new ArrayList<>();
            for (Obs o : clean) {
                if (random.nextInt(5) == 0) {
                    noisy.add(new Obs(o.deviceId(), o.version() + (random.nextBoolean() ? 1 : -1), o.step(),
                            random.nextDouble(0.01, 5000)));
                }
                noisy.add(o);
                while (random.nextInt(4) == 0) {
                    noisy.add(new Obs(o.deviceId(), o.version(), o.step(), random.nextDouble(0.01, 5000)));
                }
            }

            assertThat(run(c, noisy)).isEqualTo(run(c, clean));
        });
    }

    @Test
    void estimatesLieWithinWhatEachDeviceWasObservedAt() {
        RandomCases.checkWithRandom(List.of(), CASES, RebalancerProperties::randomCluster, (c, random) -> {
            Rebalancer r = c.rebalancer();
            Map<String, List<Double>> seen = new LinkedHashMap<>();
            for (String id : c.ids()) {
                seen.put(id, new ArrayList<>());
            }
            // wild speeds: anything from a tenth to three times the plan
            List<Obs> obs = stream(random, c, 1, 80, (id, step) -> c.planned().get(id)
                    * random.nextDouble(0.1, 3.0));
            for (Obs o : obs) {
                seen.get(o.deviceId()).add(o.speed());
                Optional<RebalanceDecision> d = r.observe(o.deviceId(), o.version(), o.step(), o.speed());
                if (d.isEmpty()) {
                    continue;
                }
                for (Map.Entry<String, Double> e : d.get().speeds().entrySet()) {
                    double planned = c.planned().get(e.getKey());
                    if (e.getValue() != planned) {
                        List<Double> values = seen.get(e.getKey());
                        assertThat(e.getValue()).as(e.getKey())
                                .isBetween(Collections.min(values), Collections.max(values));
                        double ratio = e.getValue() / planned;
                        assertThat(Math.abs(ratio - 1)).as(e.getKey()).isGreaterThan(c.threshold());
                    }
                }
                assertThat(d.get().drifts()).isNotEmpty();
                assertThat(d.get().drifts().get(0).deviceId()).isEqualTo(o.deviceId());
                return;
            }
        });
    }

    @Test
    void aPlanMadeFromTheEstimatesDoesNotFlap() {
        RandomCases.checkWithRandom(List.of(), CASES, RebalancerProperties::randomCluster, (c, random) -> {
            Rebalancer r = c.rebalancer();
            List<String> ids = c.ids();
            Map<String, Double> truth = new LinkedHashMap<>();
            for (String id : ids) {
                truth.put(id, c.planned().get(id) * (random.nextInt(3) == 0 ? beyond(random, c, random.nextBoolean())
                        : 1.0));
            }
            // steady true speeds, measured without noise: after one re-plan the plan matches them
            RebalanceDecision first = null;
            for (Obs o : stream(random, c, 1, 30, (id, step) -> truth.get(id))) {
                Optional<RebalanceDecision> d = r.observe(o.deviceId(), o.version(), o.step(), o.speed());
                if (d.isPresent()) {
                    first = d.get();
                    break;
                }
            }
            if (first == null) {
                assertThat(truth).isEqualTo(c.planned());
                return;
            }
            long version = c.version();
            Map<String, Double> plan = first.speeds();
            // each decision fixes at least the device that fired; a few re-plans at most, never a loop
            for (int replans = 1; replans <= ids.size(); replans++) {
                version++;
                r.plan(version, plan);
                RebalanceDecision next = null;
                long base = 1000L * replans;
                for (Obs o : stream(random, new Cluster(version, plan, c.threshold(), c.consecutive(), c.window()),
                        base, base + 30, (id, step) -> truth.get(id))) {
                    Optional<RebalanceDecision> d = r.observe(o.deviceId(), o.version(), o.step(), o.speed());
                    if (d.isPresent()) {
                        next = d.get();
                        break;
                    }
                }
                if (next == null) {
                    return;
                }
                for (RebalanceDecision.Drift drift : next.drifts()) {
                    assertThat(plan.get(drift.deviceId())).as("re-planned a device already fixed")
                            .isEqualTo(c.planned().get(drift.deviceId()));
                }
                plan = next.speeds();
            }
            throw new AssertionError("still re-planning after " + ids.size() + " plans");
        });
    }

    /** The decision (or none) a whole stream leads to, and the step whose observation fired it. */
    private static Optional<RebalanceDecision> run(Cluster c, List<Obs> obs) {
        Rebalancer r = c.rebalancer();
        for (Obs o : obs) {
            Optional<RebalanceDecision> d = r.observe(o.deviceId(), o.version(), o.step(), o.speed());
            if (d.isPresent()) {
                return d;
            }
        }
        return Optional.empty();
    }

    interface Speed {
        double at(String id, long step);
    }

    /** Every device reports every step from {@code from} to {@code to}, devices in a random order per step. */
    private static List<Obs> stream(SplittableRandom random, Cluster c, long from, long to, Speed speed) {
        List<Obs> obs = new ArrayList<>();
        for (long step = from; step <= to; step++) {
            List<String> ids = c.ids();
            Collections.shuffle(ids, new Random(random.nextLong()));
            for (String id : ids) {
                obs.add(new Obs(id, c.version(), step, speed.at(id, step)));
            }
        }
        return obs;
    }

    /** A factor strictly within the threshold. */
    private static double within(SplittableRandom random, Cluster c) {
        double t = c.threshold() * 0.999;
        return 1 + random.nextDouble(-t, t);
    }

    /** A factor strictly beyond the threshold on the given side. */
    private static double beyond(SplittableRandom random, Cluster c, boolean slower) {
        double t = c.threshold() * 1.001;
        return slower ? random.nextDouble(0.1, 1 - t) : random.nextDouble(1 + t, 3.0);
    }

    private static Cluster randomCluster(SplittableRandom random) {
        int n = between(random, 1, 8);
        Map<String, Double> planned = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            planned.put("dev-" + i, random.nextDouble(1, 1000));
        }
        return new Cluster(between(random, 0, 50), planned, random.nextDouble(0.01, 0.2), between(random, 1, 6),
                between(random, 1, 9));
    }
}
