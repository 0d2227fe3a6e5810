package io.crosstrain.checkpoint;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link CheckpointManifest} as JSON, {@code createdAt} as an ISO-8601 string. Only format
 * {@link CheckpointManifest#FORMAT} is written or read.
 */
public final class ManifestCodec {

    // explicit, so a change of Jackson's defaults cannot silently change the stored format
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private ManifestCodec() {
    }

    public static byte[] encode(CheckpointManifest manifest) {
        checkFormat(manifest.format());
        return JSON.writeValueAsBytes(manifest);
    }

    public static CheckpointManifest decode(byte[] json) {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("checkpoint manifest is not valid JSON: " + e.getOriginalMessage(), e);
        }
        JsonNode format = tree == null ? null : tree.get("format");
        if (format == null || !format.isIntegralNumber()) {
            throw new IllegalArgumentException("checkpoint manifest has no numeric \"format\"");
        }
        // checked before binding: a future format may not even bind to this record
        checkFormat(format.asInt());
        try {
            return JSON.treeToValue(tree, CheckpointManifest.class);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("malformed checkpoint manifest: " + e.getOriginalMessage(), e);
        }
    }

    private static void checkFormat(int format) {
        if (format != CheckpointManifest.FORMAT) {
            throw new IllegalArgumentException("unsupported checkpoint manifest format " + format
                    + " (this build reads format " + CheckpointManifest.FORMAT + ")");
        }
    }
}
