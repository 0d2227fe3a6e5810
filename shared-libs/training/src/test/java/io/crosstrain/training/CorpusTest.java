package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {

    @Test
    void bundledCorpusIsExactlyWhatTheGeneratorProduces() throws IOException {
        byte[] committed;
        try (InputStream in = getClass().getResourceAsStream(CorpusGenerator.BUNDLED_RESOURCE)) {
            assertThat(in).as("bundled corpus resource").isNotNull();
            committed = in.readAllBytes();
        }
        byte[] regenerated = CorpusGenerator.generate(CorpusGenerator.BUNDLED_SEED, CorpusGenerator.BUNDLED_BYTES)
                .getBytes(StandardCharsets.UTF_8);
        // compare without dumping 400 KB into the report; on failure rerun CorpusGenerator.main and commit the file
        assertThat(regenerated.length).as("bundled corpus length").isEqualTo(committed.length);
        assertThat(Arrays.mismatch(regenerated, committed)).as("first differing byte of the bundled corpus")
                .isEqualTo(-1);
        assertThat(committed.length).isBetween(350_000, 500_000);
    }

    @Test
    void generatorIsDeterministicAndSeedSensitive() {
        String a = CorpusGenerator.generate(42, 20_000);
        assertThat(CorpusGenerator.generate(42, 20_000)).isEqualTo(a);
        assertThat(CorpusGenerator.generate(43, 20_000)).isNotEqualTo(a);
        assertThat(a.length()).isLessThanOrEqualTo(20_000).isGreaterThan(18_000);
        assertThat(a).startsWith("Chapter 1. ").contains("\n\n").contains("\"").contains(",").contains("?");
        assertThat(a).matches("(?s)[\\x0A\\x20-\\x7E]+"); // plain printable ASCII plus newlines
        assertThat(a.lines()).allSatisfy(line -> assertThat(line.length()).isLessThanOrEqualTo(72));
    }

    @Test
    void bundledCorpusTokenizesWithAModestVocabulary() {
        Corpus corpus = Corpus.bundled("grammar-en");
        assertThat(corpus.vocabSize()).isBetween(40, 100);
        assertThat(corpus.tokens()).hasSize(corpus.text().length());
        assertThat(corpus.tokens()).isSameAs(corpus.tokens());
        assertThat(corpus.tokenizer().decode(corpus.tokens())).isEqualTo(corpus.text());
    }

    @Test
    void unknownBundledNameListsTheKnownOnes() {
        assertThatThrownBy(() -> Corpus.bundled("shakespeare"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shakespeare")
                .hasMessageContaining("grammar-en");
    }

    @Test
    void fromFileReadsUtf8(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("t.txt");
        Files.writeString(file, "naïve café 🚀", StandardCharsets.UTF_8);
        Corpus corpus = Corpus.fromFile(file, 1_000);
        assertThat(corpus.text()).isEqualTo("naïve café 🚀");
        assertThat(corpus.tokens()).hasSize("naïve café 🚀".codePointCount(0, "naïve café 🚀".length()));
    }

    @Test
    void fromFileRejectsBadInputsClearly(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.txt");
        assertThatThrownBy(() -> Corpus.fromFile(missing, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not found")
                .hasMessageContaining("missing.txt");

        Path big = dir.resolve("big.txt");
        Files.writeString(big, "x".repeat(101));
        assertThatThrownBy(() -> Corpus.fromFile(big, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too big")
                .hasMessageContaining("101").hasMessageContaining("100");

        Path empty = dir.resolve("empty.txt");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> Corpus.fromFile(empty, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");

        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'a', 'b', (byte) 0xE9, 'c'});
        assertThatThrownBy(() -> Corpus.fromFile(latin1, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("offset 2");

        assertThatThrownBy(() -> Corpus.fromFile(dir, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("directory");
    }

    @Test
    void ofRejectsEmptyText() {
        assertThatThrownBy(() -> Corpus.of("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(Corpus.of("abca").vocabSize()).isEqualTo(3);
    }
}
