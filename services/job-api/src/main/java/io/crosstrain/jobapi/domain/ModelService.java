package io.crosstrain.jobapi.domain;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import org.springframework.stereotype.Service;

import io.crosstrain.checkpoint.CheckpointManifest;
import io.crosstrain.checkpoint.CheckpointStore;
import io.crosstrain.checkpoint.Checkpoints;
import io.crosstrain.jobapi.persistence.CheckpointRepository.CheckpointRow;
import io.crosstrain.training.CharTokenizer;
import io.crosstrain.web.FieldError;
import io.crosstrain.web.RequestRejectedException;

/** A job's trained model from one of its checkpoints: exported as files, or sampled from on this CPU. */
@Service
public class ModelService {

    static final int MAX_PROMPT = 10_000;
    static final int MAX_TOKENS = 2000;
    static final int DEFAULT_TOKENS = 200;
    static final double MAX_TEMPERATURE = 5;
    public static final String MODE = "cpu";

    /** Absent fields take defaults: 200 tokens, temperature 1, no top-k, a random seed (answered). */
    public record GenerateRequest(String prompt, Integer maxTokens, Double temperature, Integer topK, Long seed) {
    }

    /**
     * @param checkpoint where the checkpoint sampled from is ({@code file:///…} or {@code s3://…})
     * @param mode       {@value #MODE}: sampled with DJL on job-api's CPU
     * @param seed       the seed used: the same request with it gives the same text
     */
    public record Generated(String text, long step, int planVersion, String checkpoint, String mode, long seed) {
    }

    private final JobService jobs;
    private final CheckpointService checkpoints;
    private final CheckpointStore store;
    private final Vocabularies vocabularies;
    private final ModelSampler sampler;
    private final SecureRandom seeds = new SecureRandom();

    public ModelService(JobService jobs, CheckpointService checkpoints, CheckpointStore store,
                        Vocabularies vocabularies, ModelSampler sampler) {
        this.jobs = jobs;
        this.checkpoints = checkpoints;
        this.store = store;
        this.vocabularies = vocabularies;
        this.sampler = sampler;
    }

    /**
     * One file of the export, or all three zipped when {@code part} is null.
     *
     * @param step the checkpoint's step; null for the newest
     */
    public ModelExport.File export(UUID id, Caller caller, Long step, String part) {
        if (part != null && !ModelExport.PARTS.contains(part)) {
            throw RequestRejectedException.invalid(List.of(new FieldError("part", "must be one of "
                    + ModelExport.PARTS + ", or absent for a zip of all three")));
        }
        Job job = jobs.get(id, caller);
        CharTokenizer tokenizer = tokenizer(job);
        CheckpointRow row = checkpoint(job, step);
        CheckpointManifest manifest = manifest(row, tokenizer);
        ModelExport.Model model = new ModelExport.Model(id, row.step(), row.planVersion(), manifest.model(),
                tokenizer, weights(manifest), manifest.createdAt());
        return part == null ? ModelExport.zip(model) : ModelExport.part(part, model);
    }

    /** Samples a continuation of the prompt from the job's newest checkpoint. */
    public Generated generate(UUID id, Caller caller, GenerateRequest r) {
        if (r == null) {
            throw RequestRejectedException.invalid(List.of(new FieldError("body", "a generate request is required")));
        }
        Job job = jobs.get(id, caller);
        CharTokenizer tokenizer = tokenizer(job);
        String prompt = r.prompt() == null ? "" : r.prompt();
        int tokens = r.maxTokens() == null ? DEFAULT_TOKENS : r.maxTokens();
        double temperature = r.temperature() == null ? 1.0 : r.temperature();
        int topK = r.topK() == null ? 0 : r.topK();
        List<FieldError> errors = new ArrayList<>();
        if (prompt.length() > MAX_PROMPT) {
            errors.add(new FieldError("prompt", "at most " + MAX_PROMPT + " characters"));
        } else if (!tokenizer.canEncode(prompt)) {
            errors.add(new FieldError("prompt", "has characters outside the job's vocabulary: "
                    + unknown(prompt, tokenizer) + "; vocab.json of the model export lists the ones it knows"));
        }
        if (tokens < 1 || tokens > MAX_TOKENS) {
            errors.add(new FieldError("maxTokens", "must be between 1 and " + MAX_TOKENS));
        }
        if (!(temperature > 0 && temperature <= MAX_TEMPERATURE)) {
            errors.add(new FieldError("temperature", "must be greater than 0 and at most " + (int) MAX_TEMPERATURE));
        }
        if (topK < 0 || topK > tokenizer.vocabSize()) {
            errors.add(new FieldError("topK", "must be between 0 (off) and the vocabulary size "
                    + tokenizer.vocabSize()));
        }
        if (!errors.isEmpty()) {
            throw RequestRejectedException.invalid(errors);
        }
        long seed = r.seed() != null ? r.seed() : seeds.nextLong();
        CheckpointRow row = checkpoint(job, null);
        ModelSampler.Key key = new ModelSampler.Key(id, row.step(), row.planVersion());
        CheckpointManifest manifest = manifest(row, tokenizer);
        String text = sampler.generate(key, manifest.model(), tokenizer, () -> weights(manifest), prompt, tokens,
                temperature, topK, seed);
        return new Generated(text, row.step(), row.planVersion(), store.location(row.manifestKey()), MODE, seed);
    }

    private CharTokenizer tokenizer(Job job) {
        try {
            return vocabularies.tokenizer(job.spec().dataset());
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw RequestRejectedException.conflict("dataset", "the job's dataset cannot be read by job-api: "
                    + e.getMessage());
        }
    }

    private CheckpointRow checkpoint(Job job, Long step) {
        return checkpoints.find(job.id(), step).orElseThrow(() -> RequestRejectedException.notFound(step == null
                ? "job " + job.id() + " has no checkpoint yet"
                : "job " + job.id() + " has no checkpoint of step " + step));
    }

    private CheckpointManifest manifest(CheckpointRow row, CharTokenizer tokenizer) {
        CheckpointManifest manifest;
        try {
            manifest = Checkpoints.read(store, row.manifestKey());
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint of step " + row.step() + ": " + e.getMessage(), e);
        }
        if (manifest.vocabSize() != tokenizer.vocabSize()) {
            throw RequestRejectedException.conflict("dataset", "the checkpoint was trained on " + manifest.vocabSize()
                    + " characters; the job's dataset now has " + tokenizer.vocabSize());
        }
        return manifest;
    }

    private float[] weights(CheckpointManifest manifest) {
        try {
            return Checkpoints.range(store, manifest, 0, Math.toIntExact(manifest.parameters())).weights();
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint of step " + manifest.step() + ": " + e.getMessage(), e);
        }
    }

    /** The distinct characters the vocabulary lacks, the first ten, e.g. {@code 'é' (U+00E9)}. */
    private static String unknown(String prompt, CharTokenizer tokenizer) {
        Set<Integer> missing = new LinkedHashSet<>();
        prompt.codePoints().filter(cp -> !tokenizer.canEncode(Character.toString(cp))).forEach(missing::add);
        List<String> shown = new ArrayList<>();
        for (int cp : missing) {
            if (shown.size() == 10) {
                shown.add("…");
                break;
            }
            shown.add("'" + Character.toString(cp) + "' (" + String.format("U+%04X", cp) + ")");
        }
        return String.join(", ", shown);
    }
}
