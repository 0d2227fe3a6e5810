package io.crosstrain.worker.domain;

import java.nio.file.Path;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.training.Corpus;

/** Resolves a job's dataset on this worker; user paths must stay inside the worker's data directory. */
public final class Datasets {
    static final long MAX_BYTES = 256L * 1024 * 1024;

    private Datasets() {
    }

    public static Corpus load(DatasetSpec spec, Path dataDir) {
        if (spec == null || DatasetSpec.BUNDLED.equals(spec.kind())) {
            return Corpus.bundled(spec == null || spec.name() == null ? DatasetSpec.DEFAULT_CORPUS : spec.name());
        }
        if (!DatasetSpec.PATH.equals(spec.kind())) {
            throw new IllegalArgumentException("dataset.kind must be bundled or path, not " + spec.kind());
        }
        Path root = dataDir.toAbsolutePath().normalize();
        Path file = root.resolve(spec.path()).normalize();
        if (!file.startsWith(root)) {
            throw new IllegalArgumentException("dataset.path " + spec.path() + " is outside the data directory " + root);
        }
        return Corpus.fromFile(file, MAX_BYTES);
    }
}
