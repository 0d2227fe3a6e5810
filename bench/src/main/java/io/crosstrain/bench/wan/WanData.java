package io.crosstrain.bench.wan;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import io.crosstrain.training.CharTokenizer;
import io.crosstrain.training.CorpusGenerator;
import io.crosstrain.training.StageTrainer.Batch;

/**
 * The benchmark's data: a generated training text cut into non-overlapping windows of {@code seqLen + 1} tokens,
 * split into one contiguous shard per datacenter, and a held-out validation text (another generator seed) with a
 * fixed list of validation batches. Datacenter {@code d} reads its shard in a seeded shuffled order, a fresh order
 * every pass, so a token is seen once per pass; batch {@code (d, step)} is the same for every strategy, which makes
 * the strategies see exactly the same samples at equal sample counts.
 */
public final class WanData {

    private final CharTokenizer tokenizer;
    private final int[] tokens;
    private final int seqLen;
    private final int microBatch;
    private final int datacenters;
    private final int windowsPerShard;
    private final long seed;
    private final List<Batch> validation;
    private final Map<Long, int[]> orders = new ConcurrentHashMap<>();

    public WanData(long trainSeed, int trainBytes, long validationSeed, int validationBatches, int validationBatchSize,
            int datacenters, int seqLen, int microBatch) {
        if (datacenters < 1 || seqLen < 1 || microBatch < 1 || validationBatches < 1 || validationBatchSize < 1) {
            throw new IllegalArgumentException("datacenters, seqLen, microBatch and validation sizes must be positive");
        }
        if (trainSeed == validationSeed) {
            throw new IllegalArgumentException("validation text needs its own seed");
        }
        String text = CorpusGenerator.generate(trainSeed, trainBytes);
        this.tokenizer = CharTokenizer.fromText(text);
        this.tokens = tokenizer.encode(text);
        this.seqLen = seqLen;
        this.microBatch = microBatch;
        this.datacenters = datacenters;
        this.seed = trainSeed;
        this.windowsPerShard = (tokens.length - 1) / seqLen / datacenters;
        if (windowsPerShard < microBatch) {
            throw new IllegalArgumentException("training text too small: " + windowsPerShard
                    + " windows per datacenter, micro-batch " + microBatch);
        }
        this.validation = validationBatches(validationSeed, validationBatches, validationBatchSize);
    }

    private List<Batch> validationBatches(long validationSeed, int batches, int batchSize) {
        int windows = batches * batchSize;
        // a bit more than needed: whole paragraphs only, so the text may fall short of the request
        String text = CorpusGenerator.generate(validationSeed, (windows * (seqLen + 1)) * 11 / 10 + 4096);
        if (!tokenizer.canEncode(text)) {
            throw new IllegalStateException("validation text has characters the training text lacks; use more "
                    + "training text");
        }
        int[] val = tokenizer.encode(text);
        if (val.length < windows * (seqLen + 1)) {
            throw new IllegalStateException("validation text too short: " + val.length + " tokens");
        }
        List<Batch> out = new ArrayList<>(batches);
        for (int b = 0; b < batches; b++) {
            int[] in = new int[batchSize * seqLen];
            int[] tg = new int[batchSize * seqLen];
            for (int i = 0; i < batchSize; i++) {
                int start = (b * batchSize + i) * (seqLen + 1);
                System.arraycopy(val, start, in, i * seqLen, seqLen);
                System.arraycopy(val, start + 1, tg, i * seqLen, seqLen);
            }
            out.add(new Batch(in, tg, batchSize, seqLen));
        }
        return List.copyOf(out);
    }

    /** The micro-batch datacenter {@code dc} trains on at inner step {@code step} (counted from 0). */
    public Batch batch(int dc, long step) {
        if (dc < 0 || dc >= datacenters || step < 0) {
            throw new IllegalArgumentException("no batch for dc " + dc + ", step " + step);
        }
        int[] in = new int[microBatch * seqLen];
        int[] tg = new int[microBatch * seqLen];
        for (int i = 0; i < microBatch; i++) {
            int start = window(dc, step * microBatch + i) * seqLen;
            System.arraycopy(tokens, start, in, i * seqLen, seqLen);
            System.arraycopy(tokens, start + 1, tg, i * seqLen, seqLen);
        }
        return new Batch(in, tg, microBatch, seqLen);
    }

    /** Index (over the whole text) of the window that is datacenter {@code dc}'s {@code k}-th sample. */
    int window(int dc, long k) {
        int[] order = order(dc, k / windowsPerShard);
        return dc * windowsPerShard + order[(int) (k % windowsPerShard)];
    }

    int windowsPerShard() {
        return windowsPerShard;
    }

    private int[] order(int dc, long pass) {
        long key = pass * datacenters + dc;
        return orders.computeIfAbsent(key, k -> shuffled(windowsPerShard, SplitMix.of(seed, dc, pass)));
    }

    private static int[] shuffled(int n, SplitMix rng) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    public List<Batch> validation() {
        return validation;
    }

    public int datacenters() {
        return datacenters;
    }

    public int microBatch() {
        return microBatch;
    }

    public int seqLen() {
        return seqLen;
    }

    public int vocab() {
        return tokenizer.vocabSize();
    }

    public int trainingTokens() {
        return tokens.length;
    }

    public int validationTokens() {
        return validation.size() * validation.get(0).batchSize() * seqLen;
    }

    /** Tokens one datacenter can read before it starts its next pass over its shard. */
    public long tokensPerShard() {
        return (long) windowsPerShard * seqLen;
    }

    /** A tiny SplitMix64, seeded from several values, for the shuffles. */
    static final class SplitMix {
        private long state;

        private SplitMix(long state) {
            this.state = state;
        }

        static SplitMix of(long... parts) {
            long s = 0x2545F4914F6CDD1DL;
            for (long p : parts) {
                s = mix(s ^ mix(p + 0x9E3779B97F4A7C15L));
            }
            return new SplitMix(s);
        }

        private static long mix(long z) {
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }

        int nextInt(int bound) {
            state += 0x9E3779B97F4A7C15L;
            // multiply-shift: bias below 2^-32 for the bounds used here, irrelevant to a shuffle
            return (int) (((mix(state) >>> 32) * bound) >>> 32);
        }
    }
}
