package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CharTokenizerTest {

    @Test
    void encodeThenDecodeIsIdentityForRandomText() {
        // seeded property check: 300 random strings mixing ASCII, Latin-1, CJK and supplementary code points
        int[][] ranges = {{0x20, 0x7E}, {0xA0, 0xFF}, {0x4E00, 0x4E40}, {0x1F600, 0x1F640}, {0x0A, 0x0A}};
        Rng rng = new Rng(2024);
        for (int trial = 0; trial < 300; trial++) {
            StringBuilder sb = new StringBuilder();
            int length = 1 + rng.nextInt(200);
            for (int i = 0; i < length; i++) {
                int[] range = ranges[rng.nextInt(ranges.length)];
                sb.appendCodePoint(range[0] + rng.nextInt(range[1] - range[0] + 1));
            }
            String text = sb.toString();
            CharTokenizer tok = CharTokenizer.fromText(text);
            int[] tokens = tok.encode(text);
            assertThat(tokens).hasSize(text.codePointCount(0, text.length()));
            assertThat(Arrays.stream(tokens).allMatch(t -> t >= 0 && t < tok.vocabSize())).isTrue();
            assertThat(tok.decode(tokens)).as("trial %d", trial).isEqualTo(text);
        }
    }

    @Test
    void vocabularyIsSortedDistinctCodePoints() {
        CharTokenizer tok = CharTokenizer.fromText("banana 🚀!");
        assertThat(tok.vocabulary()).containsExactly(' ', '!', 'a', 'b', 'n', "🚀".codePointAt(0));
        assertThat(tok.encode("nab🚀")).containsExactly(4, 2, 3, 5);
        assertThat(CharTokenizer.ofVocabulary(tok.vocabulary()).encode("banana")).isEqualTo(tok.encode("banana"));
    }

    @Test
    void unknownCharactersAndTokensAreErrors() {
        CharTokenizer tok = CharTokenizer.fromText("abc");
        assertThatThrownBy(() -> tok.encode("abz")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("U+007A").hasMessageContaining("index 2");
        assertThatThrownBy(() -> tok.decode(new int[] {3})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CharTokenizer.ofVocabulary(new int[] {'b', 'a'}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(tok.canEncode("cab")).isTrue();
        assertThat(tok.canEncode("cat")).isFalse();
    }
}
