package io.crosstrain.jobapi.domain;

import java.util.UUID;
import java.util.function.Supplier;

import jakarta.annotation.PreDestroy;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.training.CharTokenizer;
import io.crosstrain.training.DeviceTrainer;

/**
 * Samples text from a checkpoint with DJL on this service's CPU. The model of the last checkpoint used stays loaded
 * (one entry: a model's weights can be large); switching to another checkpoint releases its DJL memory. Calls are
 * serialised: a trainer belongs to one thread at a time, and two models at once would double the memory.
 */
@Component
public class ModelSampler {

    /** Which checkpoint a loaded model holds; a redone step has a new plan version. */
    public record Key(UUID jobId, long step, int planVersion) {
    }

    private Key loaded;
    private DeviceTrainer model;

    /**
     * @param weights read only when the checkpoint is not the one loaded
     */
    public synchronized String generate(Key key, ModelSpec spec, CharTokenizer tokenizer, Supplier<float[]> weights,
                                        String prompt, int tokens, double temperature, int topK, long seed) {
        if (model == null || !key.equals(loaded)) {
            close();
            // seed and learning rate do not matter: the weights are replaced and nothing is trained
            DeviceTrainer fresh = new DeviceTrainer(spec, tokenizer.vocabSize(), 0L, 1e-3);
            try {
                fresh.loadWeights(weights.get());
            } catch (RuntimeException | Error e) {
                fresh.close();
                throw e;
            }
            model = fresh;
            loaded = key;
        }
        return model.generate(tokenizer, prompt, tokens, temperature, topK, seed);
    }

    /** The checkpoint whose model is loaded, or null (tests). */
    synchronized Key loaded() {
        return loaded;
    }

    @PreDestroy
    public synchronized void close() {
        if (model != null) {
            model.close();
            model = null;
            loaded = null;
        }
    }
}
