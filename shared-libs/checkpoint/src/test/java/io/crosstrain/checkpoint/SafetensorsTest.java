package io.crosstrain.checkpoint;

import static io.crosstrain.checkpoint.Fixtures.bits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.crosstrain.checkpoint.Safetensors.Tensor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class SafetensorsTest {

    @TempDir
    Path dir;

    private static LinkedHashMap<String, Tensor> tensors() {
        SplittableRandom r = new SplittableRandom(5);
        LinkedHashMap<String, Tensor> t = new LinkedHashMap<>();
        t.put("tok_embed.weight", new Tensor(new long[] {66, 16}, Fixtures.floats(r, 66 * 16)));
        t.put("layers.0.ln1.bias", new Tensor(new long[] {16}, Fixtures.floats(r, 16)));
        t.put("scale", new Tensor(new long[] {}, new float[] {-0f}));
        t.put("empty", new Tensor(new long[] {0, 4}, new float[0]));
        t.put("head.weight", new Tensor(new long[] {2, 3, 5}, Fixtures.floats(r, 30)));
        return t;
    }

    private static Map<String, String> metadata() {
        LinkedHashMap<String, String> m = new LinkedHashMap<>();
        m.put("format", "pt");
        m.put("crosstrain.step", "1200");
        m.put("note", "ünïcode ✓");
        return m;
    }

    private static byte[] write(LinkedHashMap<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Safetensors.write(out, tensors, metadata);
        return out.toByteArray();
    }

    @Test
    void roundTripsNamesShapesAndBits() throws IOException {
        LinkedHashMap<String, Tensor> written = tensors();
        byte[] file = write(written, metadata());

        LinkedHashMap<String, Tensor> back = Safetensors.read(file);
        assertThat(back.keySet()).containsExactlyElementsOf(written.keySet());
        written.forEach((name, t) -> {
            assertThat(back.get(name).shape()).as(name).containsExactly(t.shape());
            assertThat(bits(back.get(name).data())).as(name).isEqualTo(bits(t.data()));
        });
        assertThat(Safetensors.metadata(file)).containsExactlyEntriesOf(metadata());
    }

    @Test
    void headerIsPaddedJsonWithMetadataAndContiguousOffsets() throws IOException {
        byte[] file = write(tensors(), metadata());
        long n = Safetensors.headerLength(file);
        assertThat(n % 8).isZero();
        String header = new String(file, 8, (int) n, StandardCharsets.UTF_8);
        assertThat(header).startsWith("{\"__metadata__\":{\"format\":\"pt\"");
        assertThat(header.strip()).endsWith("}");
        assertThat(header)
                .contains("\"tok_embed.weight\":{\"dtype\":\"F32\",\"shape\":[66,16],\"data_offsets\":[0,4224]}")
                .contains("\"layers.0.ln1.bias\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[4224,4288]}");
        long data = 4L * (66 * 16 + 16 + 1 + 0 + 30);
        assertThat(file.length).isEqualTo(8 + n + data);

        // no metadata given: still an (empty) __metadata__ entry
        byte[] bare = write(tensors(), null);
        assertThat(new String(bare, 8, 20, StandardCharsets.UTF_8)).startsWith("{\"__metadata__\":{}");
        assertThat(Safetensors.headerLength(bare) % 8).isZero();
    }

    @Test
    void dataIsLittleEndianFloat32() throws IOException {
        LinkedHashMap<String, Tensor> one = new LinkedHashMap<>();
        one.put("x", new Tensor(new long[] {1}, new float[] {1.5f}));
        byte[] file = write(one, Map.of());
        assertThat(Arrays.copyOfRange(file, file.length - 4, file.length)).containsExactly(0, 0, 0xC0, 0x3F);
    }

    @Test
    void refusesShapesThatDoNotMatchTheData() {
        assertThatThrownBy(() -> new Tensor(new long[] {2, 3}, new float[5]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[2, 3]").hasMessageContaining("5");
        Tensor t = new Tensor(new long[] {2, 3}, new float[6]);
        t.shape()[1] = 4; // changed after the check
        LinkedHashMap<String, Tensor> map = new LinkedHashMap<>();
        map.put("t", t);
        assertThatThrownBy(() -> write(map, null)).isInstanceOf(IllegalArgumentException.class);
        LinkedHashMap<String, Tensor> reserved = new LinkedHashMap<>();
        reserved.put(Safetensors.METADATA, new Tensor(new long[] {1}, new float[1]));
        assertThatThrownBy(() -> write(reserved, null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readRefusesDamagedFiles() throws IOException {
        byte[] file = write(tensors(), metadata());
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(file, file.length - 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Safetensors.read(Arrays.copyOf(file, 6))).isInstanceOf(IllegalArgumentException.class);
        byte[] huge = file.clone();
        huge[7] = 1; // header length beyond the file
        assertThatThrownBy(() -> Safetensors.read(huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("header length");
    }

    /** The reference implementation (Python safetensors) reads what we write. */
    @Test
    void pythonSafetensorsReadsOurFiles() throws Exception {
        Assumptions.assumeTrue(pythonHasSafetensors(), "python3 with safetensors and numpy is not installed");
        LinkedHashMap<String, Tensor> written = tensors();
        Path file = dir.resolve("model.safetensors");
        try (OutputStream out = Files.newOutputStream(file)) {
            Safetensors.write(out, written, metadata());
        }
        String script = String.join("\n",
                "import json, sys",
                "import numpy as np",
                "from safetensors import safe_open",
                "from safetensors.numpy import load_file",
                "tensors = load_file(sys.argv[1])",
                "with safe_open(sys.argv[1], framework='np') as f:",
                "    meta = f.metadata()",
                "print(json.dumps({'metadata': meta, 'tensors': {k: {'dtype': str(v.dtype), 'shape': list(v.shape),",
                "    'bits': v.view(np.uint32).ravel().tolist()} for k, v in tensors.items()}}))");
        Process p = new ProcessBuilder("python3", "-c", script, file.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();

        JsonNode result = JsonMapper.builder().build().readTree(output);
        JsonNode meta = result.get("metadata");
        metadata().forEach((k, v) -> assertThat(meta.get(k).stringValue()).as(k).isEqualTo(v));
        assertThat(meta.size()).isEqualTo(metadata().size());
        JsonNode read = result.get("tensors");
        assertThat(read.size()).isEqualTo(written.size());
        written.forEach((name, t) -> {
            JsonNode n = read.get(name);
            assertThat(n).as(name).isNotNull();
            assertThat(n.get("dtype").stringValue()).isEqualTo("float32");
            long[] shape = new long[n.get("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = n.get("shape").get(i).longValue();
            }
            assertThat(shape).as(name).containsExactly(t.shape());
            int[] bits = new int[n.get("bits").size()];
            for (int i = 0; i < bits.length; i++) {
                bits[i] = (int) n.get("bits").get(i).longValue();
            }
            assertThat(bits).as(name).isEqualTo(bits(t.data()));
        });
    }

    private static boolean pythonHasSafetensors() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import numpy, safetensors.numpy")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false; // no python3 at all
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
