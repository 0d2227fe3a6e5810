package io.crosstrain.jobapi.domain;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.springframework.stereotype.Component;

import io.crosstrain.contracts.DatasetSpec;
import io.crosstrain.jobapi.config.JobApiProperties;
import io.crosstrain.training.CharTokenizer;
import io.crosstrain.training.Corpus;

/**
 * The character vocabulary of a job's dataset, read the way the workers read it (the bundled corpus, or a file in the
 * shared data directory, uploads included): a checkpoint's parameter count, its export's {@code vocab.json} and
 * sampling all depend on it. Only the tokenizers of the last few datasets are kept, never the text.
 */
@Component
public class Vocabularies {

    /** The workers' limit ({@code Datasets.MAX_BYTES} in gpu-worker). */
    static final long MAX_BYTES = 256L * 1024 * 1024;
    static final int CACHED = 8;

    private final Path dataDir;
    /** Guarded by itself; least recently used first. */
    private final Map<String, CharTokenizer> cache = new LinkedHashMap<>(16, 0.75f, true);

    public Vocabularies(JobApiProperties properties) {
        this.dataDir = Path.of(properties.dataDir()).toAbsolutePath().normalize();
    }

    /** The vocabulary size, without reading a bundled corpus whose size is known. */
    public int size(DatasetSpec dataset) {
        int known = dataset == null ? 0 : dataset.knownVocabulary();
        return known > 0 ? known : tokenizer(dataset).vocabSize();
    }

    /**
     * @throws IllegalArgumentException when the dataset cannot be read here (names the file and the problem)
     */
    public CharTokenizer tokenizer(DatasetSpec dataset) {
        if (dataset == null || DatasetSpec.BUNDLED.equals(dataset.kind())) {
            String name = dataset == null || dataset.name() == null ? DatasetSpec.DEFAULT_CORPUS : dataset.name();
            return cached("bundled:" + name, () -> Corpus.bundled(name).tokenizer());
        }
        if (!DatasetSpec.PATH.equals(dataset.kind())) {
            throw new IllegalArgumentException("dataset.kind must be bundled or path, not " + dataset.kind());
        }
        Path file = dataDir.resolve(dataset.path()).normalize();
        if (!file.startsWith(dataDir)) {
            throw new IllegalArgumentException("dataset.path " + dataset.path() + " is outside the data directory");
        }
        String version;
        try {
            // a file replaced in place is read again
            version = Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            throw new IllegalArgumentException("dataset file " + file + " cannot be read: " + e, e);
        }
        return cached("path:" + file + ":" + version, () -> Corpus.fromFile(file, MAX_BYTES).tokenizer());
    }

    private CharTokenizer cached(String key, java.util.function.Supplier<CharTokenizer> load) {
        synchronized (cache) {
            CharTokenizer hit = cache.get(key);
            if (hit != null) {
                return hit;
            }
        }
        CharTokenizer loaded = load.get(); // outside the lock: a big file takes a while
        synchronized (cache) {
            cache.put(key, loaded);
            while (cache.size() > CACHED) {
                cache.remove(cache.keySet().iterator().next());
            }
        }
        return loaded;
    }
}
