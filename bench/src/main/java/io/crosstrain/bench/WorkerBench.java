package io.crosstrain.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;

import io.crosstrain.codec.TensorCodec;
import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.contracts.StepMetric;
import io.crosstrain.training.Corpus;
import io.crosstrain.training.DeviceTrainer;
import io.crosstrain.worker.domain.DeviceStepPath;
import io.crosstrain.worker.domain.NodeReducer;
import io.crosstrain.worker.domain.RoundMailbox;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.json.JsonMapper;

/**
 * The gpu-worker's per-step path (sampling, forward/backward, gradient export through the codec, receipt of the
 * update through the round mailbox, the update, metrics as JSON) against a bare DJL training loop on the same
 * model, batch and thread, in alternating blocks of the same run so drift hits both alike. Pacing is off and the
 * wait for other devices is not part of either: the demo's report measures that separately.
 */
@Command(name = "worker", description = "gpu-worker step path vs a bare DJL training loop")
final class WorkerBench implements Callable<Integer> {

    @Option(names = "--batch", defaultValue = "53", description = "per-device batch (53: an A100's share in the demo)")
    int batch;

    @Option(names = "--block", defaultValue = "20", description = "steps per block")
    int block;

    @Option(names = "--blocks", defaultValue = "6", description = "blocks of each kind, alternating")
    int blocks;

    @Option(names = "--warmup", defaultValue = "15")
    int warmup;

    @Option(names = "--out", defaultValue = "${sys:crosstrain.home:-.}/target/bench/worker.json")
    Path out;

    private final JsonMapper mapper = JsonMapper.builder().build();

    @Override
    public Integer call() throws Exception {
        Corpus corpus = Corpus.bundled(DatasetSpec.DEFAULT_CORPUS);
        ModelSpec model = ModelSpec.demo();
        UUID jobId = UUID.randomUUID();
        PlanDevice device = new PlanDevice("bench-0", "bench-node", "bench", "CPU", 0, batch, 1, 0, 0);
        Plan plan = new Plan(jobId, 1, "sync-dp", "balanced", Plan.MEASURED, null, model, DatasetSpec.bundled(),
                Integer.MAX_VALUE, batch, 0.003, 42, 10, List.of("bench"), List.of(device), null);

        try (DeviceStepPath worker = new DeviceStepPath(plan, device, corpus.tokens(), corpus.vocabSize());
             DeviceTrainer bare = new DeviceTrainer(model, corpus.vocabSize(), 42, 0.003)) {
            RoundMailbox mailbox = new RoundMailbox(1);
            NodeReducer reducer = new NodeReducer(jobId, 1, device.nodeId(), 1, worker.parameterCount());
            long[] step = {0};
            Runnable workerStep = () -> workerStep(plan, device, worker, reducer, mailbox, ++step[0]);
            long[] bareStep = {0};
            Runnable bareLoop = () -> bare.bareStep(DeviceTrainer.sample(corpus.tokens(), 42, ++bareStep[0], 0,
                    batch, model.seqLen()));

            for (int i = 0; i < warmup; i++) {
                workerStep.run();
                bareLoop.run();
            }
            long workerNanos = 0;
            long bareNanos = 0;
            for (int b = 0; b < blocks; b++) {
                workerNanos += time(workerStep, block);
                bareNanos += time(bareLoop, block);
            }
            double samples = (double) blocks * block * batch;
            double workerRate = samples / (workerNanos / 1e9);
            double bareRate = samples / (bareNanos / 1e9);
            double ratio = workerRate / bareRate;

            System.out.println("worker step path vs bare DJL loop (measured on this CPU, 1 thread, pacing off)");
            System.out.println(String.format(Locale.ROOT, "  model %d layers d=%d seq=%d, %,d parameters, batch %d, "
                    + "%d x %d steps each", model.layers(), model.dModel(), model.seqLen(), worker.parameterCount(),
                    batch, blocks, block));
            System.out.println(String.format(Locale.ROOT, "  %-28s %12s", "path", "samples/s"));
            System.out.println(String.format(Locale.ROOT, "  %-28s %12.1f", "gpu-worker step path", workerRate));
            System.out.println(String.format(Locale.ROOT, "  %-28s %12.1f", "bare DJL training loop", bareRate));
            System.out.println(String.format(Locale.ROOT, "  %-28s %12.3f   (goal >= 0.95)", "ratio", ratio));

            Map<String, Object> json = new LinkedHashMap<>();
            json.put("workerSamplesPerSec", workerRate);
            json.put("bareDjlSamplesPerSec", bareRate);
            json.put("ratio", ratio);
            json.put("batch", batch);
            json.put("parameters", worker.parameterCount());
            json.put("mode", "measured-on-device (CPU)");
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, mapper.writeValueAsString(json));
            System.out.println("  wrote " + out.toAbsolutePath().normalize());
        }
        return 0;
    }

    /** Exactly the work a device does per step in JobRun, minus pacing and minus waiting for the relay. */
    private void workerStep(Plan plan, PlanDevice device, DeviceStepPath path, NodeReducer reducer,
                            RoundMailbox mailbox, long step) {
        long t0 = System.nanoTime();
        DeviceStepPath.Computed computed = path.compute(step);
        List<byte[]> chunks = reducer.deposit(step, 0, path.gradient(), device.batch());
        // the chunks come back as the relay's update would (the relay's division by the global batch is its work,
        // not the worker's); decoding checks every CRC as the worker does
        for (byte[] chunk : chunks) {
            mailbox.offer(step, TensorCodec.view(chunk), 0);
        }
        RoundMailbox.Update update;
        try {
            update = mailbox.take(step, 10_000);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        path.apply(update.averaged());
        String hash = step % plan.hashEvery() == 0 ? path.weightsHash() : null;
        long end = System.nanoTime();
        StepMetric metric = new StepMetric(plan.jobId(), 1, device.deviceId(), device.datacenter(), device.chip(),
                (int) step, device.batch(), computed.loss(), computed.computeNanos() / 1e6, computed.computeNanos() / 1e6,
                0, (end - t0) / 1e6, System.currentTimeMillis(), System.currentTimeMillis(), 0, path.parameterCount(),
                hash, plan.mode(), false, null);
        mapper.writeValueAsString(metric);
    }

    private static long time(Runnable step, int n) {
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            step.run();
        }
        return System.nanoTime() - t0;
    }
}
