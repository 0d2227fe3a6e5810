package io.crosstrain.bench.rebalance;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.locks.LockSupport;

import io.crosstrain.planner.Allocation;
import io.crosstrain.planner.BatchAllocator;
import io.crosstrain.planner.rebalance.RebalanceDecision;
import io.crosstrain.planner.rebalance.Rebalancer;

/**
 * A synchronous data-parallel group emulated in one process (ARCHITECTURE.md §6, pacing only): one thread per
 * device, each round every device waits until {@code b_i / (s_i · k)} seconds after the round started, then meets
 * the others at a barrier. No model is computed; only the timing of the chips is reproduced.
 *
 * <p>The barrier action is the "scheduler": it closes the round, feeds each device's measured speed to the
 * {@link Rebalancer} and, when it fires and rebalancing is on, installs the new allocation for the very next round,
 * so no round is lost or repeated. Its own run time falls between rounds and is not counted in any round.
 */
public final class EmulatedCluster {

    /** One emulated device; {@code soloSpeed} is its chip's speed for the model in samples/s (chip terms). */
    public record Device(String id, String chip, double soloSpeed, int cap) {
    }

    /**
     * @param slowedIndex index into devices of the device that slows down at {@code slowRound}
     * @param factor      its true speed is multiplied by this from {@code slowRound} on
     * @param rebalance   false: the detector still runs, but no new plan is ever installed
     */
    public record Scenario(List<Device> devices, int globalBatch, double timeScale, int rounds, int slowRound,
                           int slowedIndex, double factor, boolean rebalance, double threshold, int consecutive,
                           int window) {

        public Scenario {
            devices = List.copyOf(devices);
            if (slowedIndex < 0 || slowedIndex >= devices.size()) {
                throw new IllegalArgumentException("slowed device index " + slowedIndex + " out of range");
            }
            if (rounds < 1 || slowRound < 0 || slowRound >= rounds) {
                throw new IllegalArgumentException("need 0 ≤ slowRound < rounds, got " + slowRound + " and " + rounds);
            }
            if (!(factor > 0) || !(timeScale > 0)) {
                throw new IllegalArgumentException("factor and time scale must be positive");
            }
        }

        double[] soloSpeeds() {
            return devices.stream().mapToDouble(Device::soloSpeed).toArray();
        }

        int[] caps() {
            return devices.stream().mapToInt(Device::cap).toArray();
        }
    }

    /**
     * One round as the barrier closed it.
     *
     * @param eta          measured: (G / wall time) / Σ true speed·k
     * @param predictedEta {@link BatchAllocator#eta} of this round's allocation at the true speeds
     */
    public record Round(int round, long planVersion, int[] batch, double[] trueSpeeds, double wallSeconds,
                        double eta, double predictedEta) {
    }

    /** A decision of the detector and the round its plan took effect (-1 when it did not). */
    public record Decision(int round, int appliedRound, RebalanceDecision decision, Allocation allocation) {
    }

    public record Result(Scenario scenario, Allocation initial, List<Round> rounds, List<Decision> decisions) {

        /** The first decision taken on or after the slowdown, if any. */
        public Optional<Decision> afterSlowdown() {
            return decisions.stream().filter(d -> d.round() >= scenario.slowRound()).findFirst();
        }

        public double[] eta() {
            return rounds.stream().mapToDouble(Round::eta).toArray();
        }
    }

    private EmulatedCluster() {
    }

    public static Result run(Scenario s) throws InterruptedException {
        int n = s.devices().size();
        double k = s.timeScale();
        double[] trueSpeeds = s.soloSpeeds();
        Allocation initial = BatchAllocator.balanced(trueSpeeds, s.caps(), s.globalBatch(), false);
        if (!initial.feasible()) {
            throw new IllegalArgumentException("initial allocation infeasible: " + initial.reason());
        }
        Rebalancer rebalancer = new Rebalancer(s.threshold(), s.consecutive(), s.window());
        rebalancer.plan(1, speedMap(s.devices(), trueSpeeds));

        State st = new State();
        st.batch = initial.batch();
        st.trueSpeeds = trueSpeeds.clone();
        st.busyNanos = new long[n];
        st.planVersion = 1;
        List<Round> rounds = new ArrayList<>();
        List<Decision> decisions = new ArrayList<>();

        CyclicBarrier barrier = new CyclicBarrier(n, () -> {
            long end = System.nanoTime();
            double wall = (end - st.roundStart) / 1e9;
            int r = st.round;
            double capacity = 0;
            for (double v : st.trueSpeeds) {
                capacity += v * k;
            }
            rounds.add(new Round(r, st.planVersion, st.batch.clone(), st.trueSpeeds.clone(), wall,
                    (s.globalBatch() / wall) / capacity, BatchAllocator.eta(st.batch, st.trueSpeeds)));

            Optional<RebalanceDecision> fired = Optional.empty();
            for (int i = 0; i < n; i++) {
                if (st.batch[i] == 0) {
                    continue;                    // an idle device measures nothing
                }
                double measured = st.batch[i] / (st.busyNanos[i] / 1e9 * k);
                Optional<RebalanceDecision> d = rebalancer.observe(s.devices().get(i).id(), st.planVersion, r,
                        measured);
                if (d.isPresent()) {
                    fired = d;
                }
            }
            if (fired.isPresent()) {
                RebalanceDecision d = fired.get();
                double[] estimates = s.devices().stream().mapToDouble(dev -> d.speeds().get(dev.id())).toArray();
                Allocation next = BatchAllocator.balanced(estimates, s.caps(), s.globalBatch(), false);
                boolean apply = s.rebalance() && next.feasible() && r + 1 < s.rounds();
                decisions.add(new Decision(r, apply ? r + 1 : -1, d, next));
                if (apply) {
                    st.batch = next.batch();
                    st.planVersion++;
                    rebalancer.plan(st.planVersion, d.speeds());
                }
            }
            if (r + 1 == s.slowRound()) {
                st.trueSpeeds[s.slowedIndex()] *= s.factor();
            }
            st.round = r + 1;
            st.roundStart = System.nanoTime();
        });

        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        st.roundStart = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int me = i;
            Thread t = new Thread(() -> {
                try {
                    for (int r = 0; r < s.rounds(); r++) {
                        long start = st.roundStart;
                        int b = st.batch[me];
                        long paced = b == 0 ? 0 : Math.round(b / (st.trueSpeeds[me] * k) * 1e9);
                        parkUntil(start + paced);
                        st.busyNanos[me] = System.nanoTime() - start;
                        barrier.await();
                    }
                } catch (InterruptedException | BrokenBarrierException e) {
                    Thread.currentThread().interrupt();
                    synchronized (failures) {
                        failures.add(e);
                    }
                } catch (RuntimeException | Error e) {
                    synchronized (failures) {
                        failures.add(e);
                    }
                    barrier.reset();
                }
            }, "emulated-" + s.devices().get(i).id());
            threads.add(t);
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("emulated cluster failed: " + failures.get(0),
                    failures.get(0));
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
        return new Result(s, initial, List.copyOf(rounds), List.copyOf(decisions));
    }

    /**
     * Shared between the device threads and the barrier action. The barrier orders every access: the action's
     * writes happen before the threads leave {@code await}, the threads' writes before the action runs.
     */
    private static final class State {
        long roundStart;
        int round;
        long planVersion;
        int[] batch;
        double[] trueSpeeds;
        long[] busyNanos;
    }

    /** Parks (no spinning: a dozen spinning threads on a couple of cores would delay each other). */
    private static void parkUntil(long deadline) throws InterruptedException {
        for (long now = System.nanoTime(); now - deadline < 0; now = System.nanoTime()) {
            LockSupport.parkNanos(deadline - now);
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    private static Map<String, Double> speedMap(List<Device> devices, double[] speeds) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < devices.size(); i++) {
            m.put(Objects.requireNonNull(devices.get(i).id()), speeds[i]);
        }
        return m;
    }
}
