package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;

import io.crosstrain.contracts.DatasetSpec;
import org.junit.jupiter.api.Test;

class BundledVocabularyTest {

    @Test
    void plansKnowTheVocabularyOfEveryBundledCorpus() {
        for (String name : Corpus.BUNDLED_NAMES) {
            assertThat(new DatasetSpec(DatasetSpec.BUNDLED, name, null).knownVocabulary())
                    .as("DatasetSpec.BUNDLED_VOCABULARY of %s", name).isEqualTo(Corpus.bundled(name).vocabSize());
        }
        assertThat(DatasetSpec.BUNDLED_VOCABULARY.keySet()).containsExactlyInAnyOrderElementsOf(Corpus.BUNDLED_NAMES);
    }
}
