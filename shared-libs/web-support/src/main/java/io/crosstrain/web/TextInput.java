package io.crosstrain.web;

/**
 * Text that people and programs send us may not carry control characters: PostgreSQL refuses NUL in text (a 500
 * instead of a 400), and the others corrupt logs, CSV exports and the web UI. Free text (a prompt, a description)
 * may keep tab and line breaks; names may not.
 */
public final class TextInput {

    private TextInput() {
    }

    /**
     * The first control character of {@code text} (C0, DEL and C1), described as {@code U+0000 at position 3}, or
     * null when there is none.
     *
     * @param lineBreaksAllowed whether tab, LF and CR are allowed (free text)
     */
    public static String firstControlCharacter(String text, boolean lineBreaksAllowed) {
        if (text == null) {
            return null;
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (isControl(c) && !(lineBreaksAllowed && (c == '\t' || c == '\n' || c == '\r'))) {
                return String.format("U+%04X at position %d", (int) c, i);
            }
        }
        return null;
    }

    /** The problem with a name (no control characters at all), or null. */
    public static String nameProblem(String name) {
        String bad = firstControlCharacter(name, false);
        return bad == null ? null : problem(bad);
    }

    /** How every refusal of a control character reads, given where it was ({@code U+0000 at position 3}). */
    public static String problem(String where) {
        return "must not contain control characters (" + where + ")";
    }

    static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }
}
