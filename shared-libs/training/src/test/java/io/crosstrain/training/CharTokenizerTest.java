package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.crosstrain.testsupport.RandomCases;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CharTokenizerTest {

    /** Code point ranges of the random text: ASCII, Latin-1, CJK, supplementary (emoji) and the newline. */
    private static final int[][] RANGES = {{0x20, 0x7E}, {0xA0, 0xFF}, {0x4E00, 0x4E40}, {0x1F600, 0x1F640},
            {0x0A, 0x0A}};

    /** 1–200 code points, each from a uniformly chosen range. */
    private static String randomText(SplittableRandom r) {
        StringBuilder sb = new StringBuilder();
        int length = RandomCases.between(r, 1, 200);
        for (int i = 0; i < length; i++) {
            int[] range = RANGES[r.nextInt(RANGES.length)];
            sb.appendCodePoint(RandomCases.between(r, range[0], range[1]));
        }
        return sb.toString();
    }

    @Test
    void encodeThenDecodeIsIdentityForRandomText() {
        // seeded property check: 300 random strings mixing ASCII, Latin-1, CJK and supplementary code points
        RandomCases.check(List.of("\n", "\u007E\u00A0", new String(Character.toChars(0x1F640)) + "\u4E00 "), 300,
                CharTokenizerTest::randomText, text -> {
                    CharTokenizer tok = CharTokenizer.fromText(text);
                    int[] tokens = tok.encode(text);
                    assertThat(tokens).hasSize(text.codePointCount(0, text.length()));
                    assertThat(Arrays.stream(tokens).allMatch(t -> t >= 0 && t < tok.vocabSize())).isTrue();
                    assertThat(tok.decode(tokens)).isEqualTo(text);
                });
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
