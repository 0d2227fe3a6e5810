package io.crosstrain.bench.relay;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.CorruptChunkException;
import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.GradientHeaders;

/**
 * What came down grad-down during one relay pass. While the clock runs it only notes keys, to tell when every
 * (round, chunk) of the pass has arrived; after the clock stopped, {@link #verify()} decodes everything and checks
 * that each round's average arrived exactly once and is bit for bit the expected one, so a relay that dropped,
 * doubled or mis-summed data cannot pass.
 */
public final class DownCheck {

    private final GradientWorkload workload;
    private final long firstRound;
    private final int rounds;
    private final Set<String> expected = new HashSet<>();
    private final Set<String> arrived = new HashSet<>();
    private final List<String> keys = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();

    public DownCheck(GradientWorkload workload, long firstRound, int rounds) {
        this.workload = workload;
        this.firstRound = firstRound;
        this.rounds = rounds;
        for (long r = firstRound; r < firstRound + rounds; r++) {
            for (int c = 0; c < workload.chunksPerSender(); c++) {
                expected.add(GradientHeaders.downKey(workload.jobId(), r, c));
            }
        }
    }

    /** Notes one grad-down record; true once every expected chunk has arrived at least once. */
    public boolean offer(String key, byte[] value) {
        keys.add(key);
        values.add(value);
        if (expected.contains(key)) {
            arrived.add(key);
        }
        return complete();
    }

    public boolean complete() {
        return arrived.size() == expected.size();
    }

    public int expectedRecords() {
        return expected.size();
    }

    public int receivedRecords() {
        return values.size();
    }

    /** Everything wrong with what arrived; empty when each round's exact average arrived exactly once. */
    public List<String> verify() {
        List<String> problems = new ArrayList<>();
        Map<String, Integer> copies = new HashMap<>();
        Map<Long, List<ChunkView>> byRound = new HashMap<>();
        for (int i = 0; i < values.size(); i++) {
            String key = keys.get(i);
            if (!expected.contains(key)) {
                problems.add("unexpected record " + key);
                continue;
            }
            if (copies.merge(key, 1, Integer::sum) > 1) {
                problems.add("chunk " + key + " arrived more than once");
                continue;
            }
            ChunkView v;
            try {
                v = TensorCodec.view(values.get(i));
            } catch (CorruptChunkException e) {
                problems.add("chunk " + key + " is corrupt: " + e.getMessage());
                continue;
            }
            String named = GradientHeaders.downKey(v.meta().jobId(), v.meta().round(), v.chunkIndex());
            if (!named.equals(key)) {
                problems.add("record " + key + " holds chunk " + named);
            } else if (v.meta().sampleCount() != workload.globalBatch()) {
                problems.add("chunk " + key + " averages " + v.meta().sampleCount() + " samples, expected "
                        + workload.globalBatch());
            } else if (v.totalElements() != workload.elements() || v.chunkCount() != workload.chunksPerSender()) {
                problems.add("chunk " + key + " has layout " + v.chunkCount() + " chunks / " + v.totalElements()
                        + " elements");
            } else {
                byRound.computeIfAbsent(v.meta().round(), r -> new ArrayList<>()).add(v);
            }
        }
        for (String key : expected) {
            if (!copies.containsKey(key)) {
                problems.add("chunk " + key + " never arrived");
            }
        }
        for (long r = firstRound; r < firstRound + rounds; r++) {
            List<ChunkView> chunks = byRound.get(r);
            if (chunks == null) {
                continue;
            }
            float[] want = workload.expectedAverage(r);
            for (ChunkView v : chunks) {
                float[] got = new float[v.elementCount()];
                v.copyValuesTo(got, 0);
                int at = (int) v.elementOffset();
                for (int i = 0; i < got.length; i++) {
                    if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[at + i])) {
                        problems.add(String.format("round %d chunk %d: element %d is %s, expected %s", r,
                                v.chunkIndex(), at + i, got[i], want[at + i]));
                        break;
                    }
                }
            }
        }
        return problems;
    }
}
