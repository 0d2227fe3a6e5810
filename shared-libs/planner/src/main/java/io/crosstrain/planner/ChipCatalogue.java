package io.crosstrain.planner;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * An immutable set of {@link ChipSpec}s looked up by name (ignoring case). {@link #defaults()} holds the public
 * figures of ARCHITECTURE.md §10; {@link #with(ChipSpec)} adds or overrides one chip in a copy.
 */
public final class ChipCatalogue {

    static final String RESOURCE = "/io/crosstrain/planner/chips.csv";
    private static final List<String> COLUMNS =
            List.of("name", "tflops", "memory_gb", "mem_bandwidth_tbps", "unverified", "source");

    /** Loaded lazily once; the catalogue is immutable so every caller can share it. */
    private static final class Defaults {
        static final ChipCatalogue INSTANCE = load();
    }

    /** Insertion order is kept so {@link #all()} lists chips as the CSV does. */
    private final Map<String, ChipSpec> byKey;

    private ChipCatalogue(Map<String, ChipSpec> byKey) {
        this.byKey = byKey;
    }

    /** The built-in catalogue from {@code /io/crosstrain/planner/chips.csv}. */
    public static ChipCatalogue defaults() {
        return Defaults.INSTANCE;
    }

    /** A catalogue of exactly these chips (later entries replace earlier ones of the same name). */
    public static ChipCatalogue of(List<ChipSpec> chips) {
        Map<String, ChipSpec> map = new LinkedHashMap<>();
        for (ChipSpec chip : chips) {
            map.put(key(Objects.requireNonNull(chip, "chip").name()), chip);
        }
        return new ChipCatalogue(map);
    }

    /**
     * @throws IllegalArgumentException naming the unknown chip and listing the known ones
     */
    public ChipSpec get(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException(
                "unknown chip '" + name + "'; known chips: " + names()));
    }

    public Optional<ChipSpec> find(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(byKey.get(key(name)));
    }

    public List<ChipSpec> all() {
        return List.copyOf(byKey.values());
    }

    /** A new catalogue holding this one's chips plus {@code extra}, which replaces a chip of the same name. */
    public ChipCatalogue with(ChipSpec extra) {
        Objects.requireNonNull(extra, "extra");
        Map<String, ChipSpec> copy = new LinkedHashMap<>(byKey);
        copy.put(key(extra.name()), extra);
        return new ChipCatalogue(copy);
    }

    private String names() {
        return byKey.values().stream().map(ChipSpec::name).collect(Collectors.joining(", "));
    }

    private static String key(String name) {
        return name.trim().toLowerCase(Locale.ROOT);
    }

    private static ChipCatalogue load() {
        try (InputStream in = ChipCatalogue.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("chip catalogue resource " + RESOURCE + " is missing");
            }
            return of(parse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    static List<ChipSpec> parse(BufferedReader reader) throws IOException {
        List<ChipSpec> chips = new ArrayList<>();
        boolean headerSeen = false;
        int lineNo = 0;
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
            lineNo++;
            if (line.isBlank() || line.stripLeading().startsWith("#")) {
                continue;
            }
            List<String> fields = splitCsv(line, lineNo);
            if (!headerSeen) {
                // fail fast if someone reorders columns instead of silently reading the wrong figure
                if (!fields.equals(COLUMNS)) {
                    throw new IllegalStateException(RESOURCE + " line " + lineNo + ": expected header " + COLUMNS
                            + " but found " + fields);
                }
                headerSeen = true;
                continue;
            }
            if (fields.size() != COLUMNS.size()) {
                throw new IllegalStateException(RESOURCE + " line " + lineNo + ": expected " + COLUMNS.size()
                        + " fields but found " + fields.size());
            }
            try {
                chips.add(new ChipSpec(fields.get(0), Double.parseDouble(fields.get(1)),
                        Double.parseDouble(fields.get(2)), Double.parseDouble(fields.get(3)),
                        parseBoolean(fields.get(4)), fields.get(5)));
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(RESOURCE + " line " + lineNo + ": " + e.getMessage(), e);
            }
        }
        return chips;
    }

    private static boolean parseBoolean(String s) {
        if (s.equalsIgnoreCase("true")) {
            return true;
        }
        if (s.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException("unverified must be true or false, got '" + s + "'");
    }

    /** Splits one CSV line; fields may be double-quoted, with "" standing for a quote inside them. */
    static List<String> splitCsv(String line, int lineNo) {
        List<String> fields = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                fields.add(cur.toString().trim());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        if (quoted) {
            throw new IllegalStateException(RESOURCE + " line " + lineNo + ": unterminated quote");
        }
        fields.add(cur.toString().trim());
        return fields;
    }
}
