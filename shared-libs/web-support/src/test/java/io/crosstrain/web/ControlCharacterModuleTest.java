package io.crosstrain.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import org.junit.jupiter.api.Test;

import tools.jackson.databind.json.JsonMapper;

class ControlCharacterModuleTest {

    record Item(String name, List<String> tags, Inner inner) {
    }

    record Inner(String text) {
    }

    private final JsonMapper mapper = JsonMapper.builder().addModule(new ControlCharacterModule()).build();

    @Test
    void everyStringIsCheckedWhereverItSitsAndThePathNamesIt() {
        assertThatThrownBy(() -> mapper.readValue("{\"name\":\"a\\u0000b\"}", Item.class))
                .isInstanceOfSatisfying(ControlCharacterModule.ControlCharacterException.class, e -> {
                    assertThat(e.where()).isEqualTo("U+0000 at position 1");
                    assertThat(e.getPath().get(0).getPropertyName()).isEqualTo("name");
                });
        assertThatThrownBy(() -> mapper.readValue("{\"tags\":[\"ok\",\"\\u007f\"]}", Item.class))
                .isInstanceOfSatisfying(ControlCharacterModule.ControlCharacterException.class,
                        e -> assertThat(e.getPath().get(1).getIndex()).isEqualTo(1));
        assertThatThrownBy(() -> mapper.readValue("{\"inner\":{\"text\":\"\\u0085\"}}", Item.class))
                .isInstanceOf(ControlCharacterModule.ControlCharacterException.class);
    }

    @Test
    void freeTextKeepsTabsAndLineBreaksAndOtherTextPasses() {
        Item item = mapper.readValue("{\"name\":\"line one\\nline\\ttwo\\r\",\"tags\":[\"é€中\"],"
                + "\"inner\":{\"text\":null}}", Item.class);
        assertThat(item.name()).isEqualTo("line one\nline\ttwo\r");
        assertThat(item.tags()).containsExactly("é€中");
        assertThat(item.inner().text()).isNull();
    }

    @Test
    void namesRefuseEveryControlCharacter() {
        assertThat(TextInput.nameProblem("a name")).isNull();
        assertThat(TextInput.nameProblem(null)).isNull();
        assertThat(TextInput.nameProblem("tab\there")).contains("U+0009 at position 3");
        assertThat(TextInput.firstControlCharacter("\u009f", true)).isEqualTo("U+009F at position 0");
        assertThat(TextInput.firstControlCharacter("\u00a0", false)).isNull();
    }
}
