package io.crosstrain.web;

import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.module.SimpleModule;

/**
 * Every JSON string a service reads (request bodies, and Kafka records read with the same mapper) is refused when it
 * holds a control character other than tab and line breaks: the request fails with a 400 naming the field
 * ({@link ProblemHandler}) before anything is stored. Names are stricter still ({@link TextInput#nameProblem}).
 */
public final class ControlCharacterModule extends SimpleModule {

    public ControlCharacterModule() {
        super("crosstrain-control-characters");
        addDeserializer(String.class, new Checked());
    }

    /** A string with a control character; its path (added as Jackson unwinds) names the field. */
    public static final class ControlCharacterException extends InvalidFormatException {

        private final String where;

        ControlCharacterException(JsonParser p, String where, String value) {
            super(p, TextInput.problem(where), value, String.class);
            this.where = where;
        }

        /** {@code U+0000 at position 3} */
        public String where() {
            return where;
        }
    }

    static final class Checked extends StringDeserializer {

        @Override
        public String deserialize(JsonParser p, DeserializationContext ctxt) {
            String value = super.deserialize(p, ctxt);
            String bad = TextInput.firstControlCharacter(value, true);
            if (bad != null) {
                throw new ControlCharacterException(p, bad, value);
            }
            return value;
        }
    }
}
