package io.crosstrain.jobapi.domain;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import io.crosstrain.checkpoint.Safetensors;
import io.crosstrain.contracts.ModelSpec;
import io.crosstrain.training.CharTokenizer;
import io.crosstrain.training.TinyTransformer;
import tools.jackson.databind.json.JsonMapper;

/**
 * A checkpoint's model as files another framework can load: {@code model.safetensors} (every parameter under the
 * training library's own name and shape, F32, in the flat vector's order), {@code config.json} (the architecture and
 * the tokenizer) and {@code vocab.json} (the characters in token id order).
 */
public final class ModelExport {

    public static final String SAFETENSORS = "model.safetensors";
    public static final String CONFIG = "config.json";
    public static final String VOCAB = "vocab.json";
    public static final List<String> PARTS = List.of(SAFETENSORS, CONFIG, VOCAB);
    /** One token per Unicode code point of the vocabulary ({@link CharTokenizer}). */
    public static final String TOKENIZER = "char";
    public static final String ARCHITECTURE = "crosstrain-tiny-transformer";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ModelExport() {
    }

    /** A checkpoint's weights with what names them. */
    public record Model(UUID jobId, long step, int planVersion, ModelSpec spec, CharTokenizer tokenizer,
                       float[] weights, Instant createdAt) {
    }

    /** One file of the export. */
    public record File(String name, String contentType, byte[] bytes) {
    }

    public static File part(String name, Model m) {
        return switch (name) {
            case SAFETENSORS -> new File(name, "application/octet-stream", safetensors(m));
            case CONFIG -> new File(name, "application/json", config(m));
            case VOCAB -> new File(name, "application/json", vocab(m));
            default -> throw new IllegalArgumentException("no export part " + name + "; one of " + PARTS);
        };
    }

    /** The three files in one zip, named after the job and step. */
    public static File zip(Model m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (String name : PARTS) {
                ZipEntry entry = new ZipEntry(name);
                entry.setTime(m.createdAt().toEpochMilli()); // the same checkpoint always zips to the same bytes
                zip.putNextEntry(entry);
                zip.write(part(name, m).bytes());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new File("crosstrain-" + m.jobId() + "-step-" + m.step() + ".zip", "application/zip",
                out.toByteArray());
    }

    /** The flat vector cut into the model's parameters, in its order. */
    static LinkedHashMap<String, Safetensors.Tensor> tensors(Model m) {
        int vocab = m.tokenizer().vocabSize();
        LinkedHashMap<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        int offset = 0;
        for (Map.Entry<String, long[]> p : TinyTransformer.parameterShapes(m.spec(), vocab).entrySet()) {
            int size = Math.toIntExact(Arrays.stream(p.getValue()).reduce(1, Math::multiplyExact));
            if (offset + size > m.weights().length) {
                throw new IllegalStateException("checkpoint holds " + m.weights().length + " weights, the model more");
            }
            tensors.put(p.getKey(), new Safetensors.Tensor(p.getValue(),
                    Arrays.copyOfRange(m.weights(), offset, offset + size)));
            offset += size;
        }
        if (offset != m.weights().length) {
            throw new IllegalStateException("checkpoint holds " + m.weights().length + " weights, the model "
                    + offset);
        }
        return tensors;
    }

    static byte[] safetensors(Model m) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("format", "pt"); // the Hugging Face convention: tensors laid out as PyTorch's
        metadata.put("job", m.jobId().toString());
        metadata.put("step", Long.toString(m.step()));
        metadata.put("planVersion", Integer.toString(m.planVersion()));
        metadata.put("model", m.spec().key(m.tokenizer().vocabSize()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            Safetensors.write(out, tensors(m), metadata);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static byte[] config(Model m) {
        ModelSpec s = m.spec();
        int vocab = m.tokenizer().vocabSize();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", ARCHITECTURE);
        config.put("layers", s.layers());
        config.put("dModel", s.dModel());
        config.put("heads", s.heads());
        config.put("seqLen", s.seqLen());
        config.put("vocabSize", vocab);
        config.put("parameters", s.parameters(vocab));
        config.put("mlpHidden", 4 * s.dModel());
        config.put("layerNormEps", 1e-5);
        config.put("linearWeights", "[out, in]");
        config.put("tokenizer", TOKENIZER);
        config.put("dtype", "F32");
        config.put("jobId", m.jobId().toString());
        config.put("step", m.step());
        config.put("planVersion", m.planVersion());
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
    }

    static byte[] vocab(Model m) {
        List<String> symbols = new ArrayList<>();
        for (int cp : m.tokenizer().vocabulary()) {
            symbols.add(new String(Character.toChars(cp)));
        }
        return JSON.writeValueAsBytes(symbols);
    }
}
