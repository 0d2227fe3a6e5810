package io.crosstrain.checkpoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The safetensors file format (F32 only), for exporting trained weights to the Python ecosystem:
 * <pre>
 * 8 bytes   N, unsigned little-endian
 * N bytes   UTF-8 JSON {"__metadata__":{..},"name":{"dtype":"F32","shape":[..],"data_offsets":[begin,end]},..},
 *           padded with spaces so that the data starts 8-byte aligned
 * then      the tensors' float32 data, little-endian, in header order; offsets are relative to the data start
 * </pre>
 */
public final class Safetensors {

    public static final String METADATA = "__metadata__";
    /** The reference implementation refuses larger headers. */
    public static final int MAX_HEADER_BYTES = 100_000_000;

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final int CHUNK_FLOATS = 16 * 1024;

    /** A dense float32 tensor; the arrays are not copied. */
    public record Tensor(long[] shape, float[] data) {

        public Tensor {
            if (shape == null || data == null) {
                throw new IllegalArgumentException("tensor needs a shape and data");
            }
            long elements = elements(shape);
            if (elements != data.length) {
                throw new IllegalArgumentException("tensor shape " + Arrays.toString(shape) + " holds " + elements
                        + " elements, data has " + data.length);
            }
        }

        @Override
        public String toString() {
            return "Tensor[shape=" + Arrays.toString(shape) + ", " + data.length + " floats]";
        }
    }

    private Safetensors() {
    }

    public static void write(OutputStream out, LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put(METADATA, metadata == null ? Map.of() : new LinkedHashMap<>(metadata));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            if (name == null || name.isEmpty() || name.equals(METADATA)) {
                throw new IllegalArgumentException("invalid tensor name '" + name + "'");
            }
            Tensor t = e.getValue();
            if (t == null) {
                throw new IllegalArgumentException("tensor '" + name + "' is null");
            }
            // checked again: the record does not copy its shape, which may have changed since it was made
            new Tensor(t.shape(), t.data());
            long end = offset + (long) t.data().length * Float.BYTES;
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", "F32");
            entry.put("shape", t.shape());
            entry.put("data_offsets", new long[] {offset, end});
            header.put(name, entry);
            offset = end;
        }
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException("safetensors header of " + padded + " bytes is too large");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(json);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        out.write(prefix.array());
        ByteBuffer chunk = ByteBuffer.allocate(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (Tensor t : tensors.values()) {
            float[] data = t.data();
            for (int from = 0; from < data.length; from += CHUNK_FLOATS) {
                int n = Math.min(CHUNK_FLOATS, data.length - from);
                chunk.clear();
                chunk.asFloatBuffer().put(data, from, n);
                out.write(chunk.array(), 0, n * Float.BYTES);
            }
        }
    }

    /** The tensors of a whole file, in data order; only F32 tensors are supported. */
    public static LinkedHashMap<String, Tensor> read(byte[] file) {
        int dataStart = dataStart(file);
        JsonNode header = header(file);
        long dataLength = file.length - (long) dataStart;
        record Entry(String name, long[] shape, long begin, long end) {
        }
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : header.properties()) {
            if (e.getKey().equals(METADATA)) {
                continue;
            }
            String name = e.getKey();
            JsonNode info = e.getValue();
            String dtype = info.path("dtype").asString("");
            if (!dtype.equals("F32")) {
                throw new IllegalArgumentException("tensor '" + name + "' has dtype '" + dtype + "'; only F32 is read");
            }
            long[] shape = longs(info.path("shape"), -1, name + " shape");
            long[] offsets = longs(info.path("data_offsets"), 2, name + " data_offsets");
            long bytes = Math.multiplyExact(elements(shape), (long) Float.BYTES);
            if (offsets[0] > offsets[1] || offsets[1] > dataLength || offsets[1] - offsets[0] != bytes) {
                throw new IllegalArgumentException("tensor '" + name + "' data_offsets " + Arrays.toString(offsets)
                        + " do not fit its shape " + Arrays.toString(shape) + " in " + dataLength + " data bytes");
            }
            entries.add(new Entry(name, shape, offsets[0], offsets[1]));
        }
        entries.sort(Comparator.comparingLong(Entry::begin));
        long expected = 0;
        LinkedHashMap<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            // like the reference reader: tensors tile the data exactly, no gaps and no overlaps
            if (e.begin() != expected) {
                throw new IllegalArgumentException("tensor '" + e.name() + "' starts at " + e.begin()
                        + ", expected " + expected);
            }
            float[] data = new float[(int) ((e.end() - e.begin()) / Float.BYTES)];
            ByteBuffer.wrap(file, (int) (dataStart + e.begin()), (int) (e.end() - e.begin()))
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            tensors.put(e.name(), new Tensor(e.shape(), data));
            expected = e.end();
        }
        if (expected != dataLength) {
            throw new IllegalArgumentException("safetensors data has " + (dataLength - expected)
                    + " bytes after the last tensor");
        }
        return tensors;
    }

    /** The {@code __metadata__} of a file (empty when it has none). */
    public static LinkedHashMap<String, String> metadata(byte[] file) {
        dataStart(file);
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        JsonNode node = header(file).path(METADATA);
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            if (!e.getValue().isString()) {
                throw new IllegalArgumentException("metadata '" + e.getKey() + "' is not a string");
            }
            metadata.put(e.getKey(), e.getValue().stringValue());
        }
        return metadata;
    }

    /** The length of the JSON header, as the first 8 bytes say. */
    public static long headerLength(byte[] file) {
        if (file.length < 8) {
            throw new IllegalArgumentException("not a safetensors file: " + file.length + " bytes");
        }
        return ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    private static int dataStart(byte[] file) {
        long n = headerLength(file);
        if (n < 2 || n > MAX_HEADER_BYTES || 8 + n > file.length) {
            throw new IllegalArgumentException("safetensors header length " + n + " does not fit a file of "
                    + file.length + " bytes");
        }
        return (int) (8 + n);
    }

    private static JsonNode header(byte[] file) {
        int n = dataStart(file) - 8;
        JsonNode header;
        try {
            header = JSON.readTree(new String(file, 8, n, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("safetensors header is not JSON: " + e.getOriginalMessage(), e);
        }
        if (header == null || !header.isObject()) {
            throw new IllegalArgumentException("safetensors header is not a JSON object");
        }
        return header;
    }

    private static long[] longs(JsonNode array, int size, String what) {
        if (!array.isArray() || (size >= 0 && array.size() != size)) {
            throw new IllegalArgumentException(what + " is not an array" + (size >= 0 ? " of " + size : ""));
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = array.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new IllegalArgumentException(what + " holds " + v + ", not a non-negative integer");
            }
            values[i] = v.longValue();
        }
        return values;
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }
}
