package io.crosstrain.worker.domain;

import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.contracts.Plan;
import io.crosstrain.contracts.PlanDevice;
import io.crosstrain.training.Corpus;

/** The text a finished job's model writes, sampled on one device only. */
final class TextSample {

    private static final Logger log = LoggerFactory.getLogger(TextSample.class);

    static final String PROMPT = "The ";

    private TextSample() {
    }

    /** The device that samples: the lowest-ranked one holding the whole model, or -1 when none does. */
    static int samplerRank(Plan plan) {
        return plan.devices().stream().filter(d -> !d.staged()).mapToInt(PlanDevice::rank).min().orElse(-1);
    }

    /** All replicas are identical, so any one speaks for the trained model; a failure here is no job failure. */
    static String of(UUID jobId, DeviceStepPath path, Corpus corpus, long seed) {
        try {
            String prompt = corpus.tokenizer().canEncode(PROMPT) ? PROMPT : "";
            return path.wholeModel().generate(corpus.tokenizer(), prompt, 240, 0.8, seed);
        } catch (RuntimeException e) {
            log.warn("job {}: could not sample text from the trained model: {}", jobId, e.getMessage());
            return null;
        }
    }
}
