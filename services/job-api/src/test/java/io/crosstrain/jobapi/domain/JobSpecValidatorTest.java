package io.crosstrain.jobapi.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

class JobSpecValidatorTest {

    @Test
    void fillsInDefaults() {
        JobSpec spec = new JobSpec(" demo ", ModelSpec.demo(), new DatasetSpec("bundled", null, null), 100, 64, 0.001,
                1, null, null, null, null, null, 0);
        JobSpec ok = JobSpecValidator.validate(spec, id -> false);
        assertThat(ok.name()).isEqualTo("demo");
        assertThat(ok.strategy()).isEqualTo("sync-dp");
        assertThat(ok.allocation()).isEqualTo("balanced");
        assertThat(ok.hashEvery()).isEqualTo(10);
        assertThat(ok.devices()).isEmpty();
        assertThat(ok.dataset()).isEqualTo(DatasetSpec.bundled());
    }

    @Test
    void boundariesAreInclusive() {
        JobSpec low = new JobSpec("x", new ModelSpec(1, 16, 1, 8, 0), new DatasetSpec("path", null, "corpora/a.txt"),
                1, 1, 1.0, 0, "sync-dp", "equal", List.of("a"), null, 0.5, 1);
        JobSpec high = new JobSpec("y".repeat(100), new ModelSpec(8, 512, 16, 512, 0), DatasetSpec.bundled(),
                100_000, 1_000_000, 1e-9, 0, "sync-dp", "balanced", List.of(), null, null, 5);
        assertThat(JobSpecValidator.validate(low, id -> false).dataset().path()).isEqualTo("corpora/a.txt");
        assertThat(JobSpecValidator.validate(high, id -> false).steps()).isEqualTo(100_000);
    }

    @Test
    void namesEveryFieldAtFault() {
        JobSpec bad = new JobSpec("", new ModelSpec(9, 100, 3, 4, -1), new DatasetSpec("bundled", "shakespeare", null),
                0, 0, 0.0, 0, "ring-allreduce", "fastest", Arrays.asList("ok-1", "Bad!", "ok-1"), UUID.randomUUID(), -1.0,
                -3);
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> JobSpecValidator.validate(bad, id -> false));
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder(
                "name", "model.layers", "model.dModel", "model.seqLen", "model.vocabSize", "dataset.name", "steps",
                "globalBatch", "learningRate", "strategy", "allocation", "hashEvery", "devices[1]", "devices[2]",
                "timeScale", "baselineFor");
    }

    @Test
    void theMemoryScaleIsKeptAndChecked() {
        JobSpec scaled = new JobSpec("m", ModelSpec.demo(), DatasetSpec.bundled(), 10, 64, 0.01, 1, "sync-dp",
                "balanced", null, null, null, 0, null, null, null, null, null, 1e-6);
        assertThat(JobSpecValidator.validate(scaled, id -> false).memoryScale()).isEqualTo(1e-6);
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e4}) {
            JobSpec wrong = new JobSpec("m", ModelSpec.demo(), DatasetSpec.bundled(), 10, 64, 0.01, 1, "sync-dp",
                    "balanced", null, null, null, 0, null, null, null, null, null, bad);
            RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                    () -> JobSpecValidator.validate(wrong, id -> false));
            assertThat(e.errors()).extracting(FieldError::field).as("memoryScale %s", bad)
                    .containsExactly("memoryScale");
        }
    }

    @Test
    void dilocoGetsItsDefaultsAndItsSettingsAreChecked() {
        JobSpec diloco = new JobSpec("d", ModelSpec.demo(), DatasetSpec.bundled(), 200, 64, 0.01, 1, "diloco",
                "balanced", null, null, null, 0, null, null, null, null);
        JobSpec ok = JobSpecValidator.validate(diloco, id -> false);
        assertThat(ok.sync()).isEqualTo(io.crosstrain.contracts.SyncSpec.defaults());

        JobSpec bad = new JobSpec("d", ModelSpec.demo(), DatasetSpec.bundled(), 20, 64, 0.01, 1, "diloco",
                "balanced", null, null, null, 0, null, null, null,
                new io.crosstrain.contracts.SyncSpec(50, "int3", 0.0, 1.0));
        assertThat(fields(bad)).containsExactlyInAnyOrder("sync.h", "sync.codec", "sync.outerLr",
                "sync.outerMomentum");

        JobSpec syncOnSyncDp = new JobSpec("d", ModelSpec.demo(), DatasetSpec.bundled(), 20, 64, 0.01, 1, "sync-dp",
                "balanced", null, null, null, 0, null, null, null,
                new io.crosstrain.contracts.SyncSpec(5, null, null, null));
        assertThat(fields(syncOnSyncDp)).containsExactly("sync");
    }

    @Test
    void outOfRangeAndStructuralMistakes() {
        assertThat(fields(new JobSpec("n".repeat(101), null, null, 100_001, 1_000_001, 1.5, 0, "sync-dp",
                "equal", null, null, null, 1))).containsExactlyInAnyOrder("name", "model", "dataset", "steps",
                "globalBatch", "learningRate");
        assertThat(fields(new JobSpec("n", new ModelSpec(0, 600, 17, 513, 0), new DatasetSpec("path", null, " "),
                1, 1, Double.NaN, 0, "sync-dp", "equal", null, null, null, 1))).containsExactlyInAnyOrder(
                "model.layers", "model.dModel", "model.heads", "model.seqLen", "dataset.path", "learningRate");
        assertThat(fields(new JobSpec("n", ModelSpec.demo(), new DatasetSpec("s3", null, null),
                1, 1, 0.1, 0, "sync-dp", "equal", null, null, null, 1))).containsExactly("dataset.kind");
    }

    @Test
    void aBaselineMustReferToAnExistingJob() {
        UUID main = UUID.randomUUID();
        JobSpec baseline = new JobSpec("baseline", ModelSpec.demo(), DatasetSpec.bundled(), 10, 8, 0.01, 0,
                "sync-dp", "equal", List.of(), main, null, 0);
        assertThat(JobSpecValidator.validate(baseline, main::equals).baselineFor()).isEqualTo(main);
    }

    private static List<String> fields(JobSpec spec) {
        return catchThrowableOfType(RequestRejectedException.class, () -> JobSpecValidator.validate(spec, id -> true))
                .errors().stream().map(FieldError::field).toList();
    }

    @Test
    void aDatasetPathMustStayInsideTheDataDirectory() {
        for (String escape : List.of("/etc/passwd", "../secrets.txt", "uploads/../../x.txt", "a/..", "C:/x.txt",
                "\\\\server\\share.txt", "x".repeat(501))) {
            JobSpec spec = new JobSpec("p", ModelSpec.demo(), new DatasetSpec("path", null, escape), 10, 8, 0.01, 1,
                    null, null, null, null, null, 0);
            RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                    () -> JobSpecValidator.validate(spec, id -> false));
            assertThat(e).as(escape).isNotNull();
            assertThat(e.errors()).extracting(FieldError::field).containsExactly("dataset.path");
        }
        for (String fine : List.of("a.txt", "uploads/0a1b.txt", "corpora/en/wiki..part1.txt")) {
            JobSpec spec = new JobSpec("p", ModelSpec.demo(), new DatasetSpec("path", null, fine), 10, 8, 0.01, 1,
                    null, null, null, null, null, 0);
            assertThat(JobSpecValidator.validate(spec, id -> false).dataset().path()).isEqualTo(fine);
        }
    }

    @Test
    void strategyAutoMayCarryDilocoSettingsButNeedsNone() {
        JobSpec bare = new JobSpec("a", ModelSpec.demo(), DatasetSpec.bundled(), 10, 8, 0.01, 1, "auto",
                null, null, null, null, 0, null, null, null, null);
        assertThat(JobSpecValidator.validate(bare, id -> false).sync()).isNull();
        JobSpec tuned = new JobSpec("a", ModelSpec.demo(), DatasetSpec.bundled(), 100, 8, 0.01, 1, "auto",
                null, null, null, null, 0, null, null, null, new io.crosstrain.contracts.SyncSpec(20, "int4", null, null));
        assertThat(JobSpecValidator.validate(tuned, id -> false).sync().h()).isEqualTo(20);
    }

    @Test
    void theInnerOptimizerDefaultsToAdamWAndItsSettingsAreChecked() {
        JobSpec plain = new JobSpec("o", ModelSpec.demo(), DatasetSpec.bundled(), 100, 8, 0.01, 1, null, null, null,
                null, null, 0);
        assertThat(JobSpecValidator.validate(plain, id -> false).optimizer())
                .isEqualTo(io.crosstrain.contracts.OptimizerSpec.defaults());
        JobSpec adam = withOptimizer(plain, new io.crosstrain.contracts.OptimizerSpec("adam", null, 0));
        assertThat(JobSpecValidator.validate(adam, id -> false).optimizer().weightDecay()).isZero();

        JobSpec bad = withOptimizer(plain, new io.crosstrain.contracts.OptimizerSpec("lion", -0.1, -1));
        RequestRejectedException e = catchThrowableOfType(RequestRejectedException.class,
                () -> JobSpecValidator.validate(bad, id -> false));
        assertThat(e.errors()).extracting(FieldError::field).containsExactlyInAnyOrder("optimizer.name",
                "optimizer.weightDecay", "optimizer.warmupSteps");
        JobSpec decayedAdam = withOptimizer(plain, new io.crosstrain.contracts.OptimizerSpec("adam", 0.1, null));
        assertThat(catchThrowableOfType(RequestRejectedException.class,
                () -> JobSpecValidator.validate(decayedAdam, id -> false)).errors())
                .extracting(FieldError::field).containsExactly("optimizer.weightDecay");
    }

    @Test
    void checkpointSettingsAreKeptAndChecked() {
        JobSpec base = Fixtures.spec("c");
        JobSpec kept = Fixtures.specKeeping("c", 5);
        assertThat(JobSpecValidator.validate(kept, id -> false).checkpoint())
                .isEqualTo(new io.crosstrain.contracts.CheckpointSpec(null, 5));
        assertThat(JobSpecValidator.validate(base, id -> false).checkpoint()).isNull();
        JobSpec bad = new JobSpec(base.name(), base.model(), base.dataset(), base.steps(), base.globalBatch(),
                base.learningRate(), base.seed(), base.strategy(), base.allocation(), base.devices(), null, null,
                base.hashEvery(), null, null, null, null, null, null,
                new io.crosstrain.contracts.CheckpointSpec(0, io.crosstrain.contracts.CheckpointSpec.MAX_KEEP + 1));
        assertThat(catchThrowableOfType(RequestRejectedException.class,
                () -> JobSpecValidator.validate(bad, id -> false)).errors())
                .extracting(FieldError::field).containsExactlyInAnyOrder("checkpoint.every", "checkpoint.keep");
    }

    private static JobSpec withOptimizer(JobSpec s, io.crosstrain.contracts.OptimizerSpec o) {
        return new JobSpec(s.name(), s.model(), s.dataset(), s.steps(), s.globalBatch(), s.learningRate(), s.seed(),
                s.strategy(), s.allocation(), s.devices(), s.baselineFor(), s.timeScale(), s.hashEvery(), s.tenant(),
                s.priority(), s.placement(), s.sync(), o);
    }
}
