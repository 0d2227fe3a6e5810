package io.crosstrain.training;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model's (or a stage's) parameters seen as one flat float32 vector in their fixed order: parameter {@code i}
 * occupies {@code [offset(i), offset(i) + size(i))}. Reads and writes go through direct views of the CPU tensors'
 * memory, one copy each way.
 */
final class FlatParameters {

    private final String[] names;
    private final NDArray[] arrays;
    private final int[] offsets;
    private final int[] sizes;
    private final int total;

    FlatParameters(Map<String, NDArray> parameters) {
        int n = parameters.size();
        names = new String[n];
        arrays = new NDArray[n];
        offsets = new int[n];
        sizes = new int[n];
        int offset = 0;
        int i = 0;
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            names[i] = e.getKey();
            arrays[i] = e.getValue();
            offsets[i] = offset;
            sizes[i] = Math.toIntExact(e.getValue().size());
            offset = Math.addExact(offset, sizes[i]);
            i++;
        }
        total = offset;
    }

    int count() {
        return arrays.length;
    }

    String name(int i) {
        return names[i];
    }

    NDArray array(int i) {
        return arrays[i];
    }

    int offset(int i) {
        return offsets[i];
    }

    int size(int i) {
        return sizes[i];
    }

    /** Length of the flat vector. */
    int total() {
        return total;
    }

    /** Parameter names in order with their offsets in the flat vector. */
    Map<String, Integer> offsets() {
        LinkedHashMap<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            m.put(names[i], offsets[i]);
        }
        return Collections.unmodifiableMap(m);
    }

    float[] weights() {
        float[] out = new float[total];
        for (int i = 0; i < arrays.length; i++) {
            view(arrays[i]).get(out, offsets[i], sizes[i]);
        }
        return out;
    }

    void loadWeights(float[] w) {
        requireLength(w, "weights");
        for (int i = 0; i < arrays.length; i++) {
            view(arrays[i]).put(w, offsets[i], sizes[i]);
        }
    }

    /** SHA-256 (hex) of the float32 values, little-endian, in order. */
    String sha256() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
        boolean littleEndian = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        for (NDArray p : arrays) {
            ByteBuffer raw = p.toByteBuffer(true);
            if (littleEndian) {
                sha.update(raw);
            } else {
                FloatBuffer floats = raw.order(ByteOrder.nativeOrder()).asFloatBuffer();
                ByteBuffer le = ByteBuffer.allocate(floats.remaining() * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                le.asFloatBuffer().put(floats);
                sha.update(le);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Zeroes every parameter's accumulated gradient (a gradient not yet created stays absent: it reads as 0). */
    void zeroGradients() {
        for (NDArray p : arrays) {
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }

    /** Copies every parameter's gradient into {@code out}, multiplied by {@code scale} unless it is 1. */
    void gradientsInto(float[] out, float scale) {
        requireLength(out, "gradient buffer");
        for (int i = 0; i < arrays.length; i++) {
            // a direct view of the gradient tensor: one copy, straight into the caller's buffer; the handle DJL
            // creates for the gradient is ours to close
            try (NDArray gradient = arrays[i].getGradient()) {
                view(gradient).get(out, offsets[i], sizes[i]);
            }
            if (scale != 1f) {
                for (int j = offsets[i], end = offsets[i] + sizes[i]; j < end; j++) {
                    out[j] *= scale;
                }
            }
        }
    }

    void requireLength(float[] v, String what) {
        if (v.length != total) {
            throw new IllegalArgumentException(what + " has " + v.length + " floats, the parameters " + total);
        }
    }

    static FloatBuffer view(NDArray a) {
        return a.toByteBuffer(true).asFloatBuffer();
    }
}
