package io.crosstrain.relay.domain;

import io.crosstrain.testsupport.RandomCases;
import static io.crosstrain.relay.domain.Fixtures.chunks;
import static io.crosstrain.relay.domain.Fixtures.device;
import static io.crosstrain.relay.domain.Fixtures.gradient;
import static io.crosstrain.relay.domain.Fixtures.offer;
import static io.crosstrain.relay.domain.Fixtures.plan;
import static io.crosstrain.testsupport.RandomCases.between;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.codec.Codec;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.relay.domain.Fixtures.Rec;
import io.crosstrain.relay.domain.Fixtures.Recorder;
import io.crosstrain.relay.domain.RoundAggregator.Output;
import io.crosstrain.relay.domain.RoundAggregator.Settings;
import io.crosstrain.relay.domain.RoundAggregator.Stage;

class RoundAggregatorProperties {

    private static final int PER_CHUNK = TensorCodec.elementsPerChunk(Codec.FP32, null);
    private static final int MAX_ELEMENTS = 300_000;

    /** One round: {@code devices} devices of DC x each send {@code elements} elements; the plan comes in late. */
    record Round(long seed, int devices, int elements, int planAtPercent) {
    }

    /**
     * Any arrival order, with duplicates sprinkled in and the plan arriving at any point, yields exactly one output
     * per chunk, byte for byte the output of in-order delivery.
     */
    @Test
    void arrivalOrderNeverChangesABit() {
        // tensor sizes at and around chunk boundaries (0..3 chunks) and the ends of every range
        List<Integer> sizes = List.of(0, 1, PER_CHUNK - 1, PER_CHUNK, PER_CHUNK + 1, 2 * PER_CHUNK - 1,
                2 * PER_CHUNK, 2 * PER_CHUNK + 1, MAX_ELEMENTS);
        long[] seeds = {0, Long.MIN_VALUE, Long.MAX_VALUE, -1, 1};
        int[] planAt = {0, 100, 50};
        List<Round> edges = new ArrayList<>();
        for (int elements : sizes) {
            for (int devices : new int[] {1, 5}) {
                int i = edges.size();
                edges.add(new Round(seeds[i % seeds.length], devices, elements, planAt[i % planAt.length]));
            }
        }
        int ran = RandomCases.check(edges, 400,
                r -> new Round(r.nextLong(), between(r, 1, 5), between(r, 0, MAX_ELEMENTS), between(r, 0, 100)),
                c -> arrivalOrderNeverChangesABit(c.seed(), c.devices(), c.elements(), c.planAtPercent()));
        assertThat(ran).isPositive();
    }

    private static void arrivalOrderNeverChangesABit(long seed, int devices, int elements, int planAtPercent) {
        UUID job = new UUID(seed, 42);
        List<PlanDevice> plan = new ArrayList<>();
        for (int d = 0; d < devices; d++) {
            plan.add(device("dev-" + d, "x", devices - d, 1 + d)); // rank order opposite to naming
        }
        plan.add(device("other", "y", 0, 3));
        Plan p = plan(job, 1, List.of("x", "y"), plan);

        List<Rec> inOrder = new ArrayList<>();
        plan.stream().filter(d -> d.datacenter().equals("x"))
                .sorted((u, v) -> Integer.compare(u.rank(), v.rank()))
                .forEach(d -> inOrder.addAll(Rec.of(chunks(job, 2, 1, d.deviceId(), d.batch(),
                        gradient(elements, seed + d.rank())))));

        Map<Integer, byte[]> reference = run(p, inOrder, 0, new Random(0), false);

        Random random = new Random(seed);
        List<Rec> shuffled = new ArrayList<>(inOrder);
        Collections.shuffle(shuffled, random);
        Map<Integer, byte[]> shuffledResult = run(p, shuffled, shuffled.size() * planAtPercent / 100, random, true);

        assertThat(shuffledResult.keySet()).isEqualTo(reference.keySet());
        reference.forEach((chunk, bytes) -> assertThat(shuffledResult.get(chunk)).isEqualTo(bytes));
    }

    private static Map<Integer, byte[]> run(Plan p, List<Rec> records, int planAt, Random random,
                                            boolean duplicates) {
        Recorder sink = new Recorder();
        RoundAggregator<String> a = new RoundAggregator<>(Stage.INTRA_DC, "x", new Settings(100, 1L << 30), sink);
        int sent = 0;
        for (int i = 0; i <= records.size(); i++) {
            if (i == planAt) {
                a.onPlan(p);
            }
            if (i < records.size()) {
                offer(a, records.get(i));
                sent++;
                if (duplicates && random.nextInt(3) == 0) {
                    offer(a, records.get(random.nextInt(i + 1)));
                    sent++;
                }
            }
        }
        assertThat(sink.dead).isEmpty();
        assertThat(sink.duplicates).hasSize(sent - records.size());
        assertThat(a.openChunks()).isZero();
        Map<Integer, byte[]> out = new HashMap<>();
        for (Output o : sink.outputs) {
            assertThat(out.put(o.chunkIndex(), o.record())).as("chunk %d emitted once", o.chunkIndex()).isNull();
        }
        return out;
    }
}
