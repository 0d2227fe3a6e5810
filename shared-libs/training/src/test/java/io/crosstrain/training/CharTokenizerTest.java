package io.crosstrain.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class CharTokenizerTest {

    @Property(tries = 200)
    void encodeThenDecodeIsIdentity(@ForAll @StringLength(min = 1, max = 200) String text) {
        CharTokenizer tok = CharTokenizer.fromText(text);
        int[] tokens = tok.encode(text);
        assertThat(java.util.Arrays.stream(tokens).allMatch(t -> t >= 0 && t < tok.vocabSize())).isTrue();
        assertThat(tok.decode(tokens)).isEqualTo(text);
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
