package io.crosstrain.bench.wan;

import java.util.List;

import io.crosstrain.codec.Codec;
import io.crosstrain.codec.ErrorFeedback;
import io.crosstrain.codec.Quantization;

/**
 * The codecs of the table by name: fp32, and tensor-codec's blockwise int8 and int4 (64 elements and one fp32 scale
 * per block) with error feedback, one residual per sending datacenter.
 */
public final class Codecs {

    public static final List<String> NAMES = List.of("fp32", "int8", "4-bit");

    private Codecs() {
    }

    public static DeltaCodec of(String name) {
        return switch (name) {
            case "fp32" -> DeltaCodec.FP32;
            case "int8" -> quantized(name, Codec.INT8);
            case "4-bit" -> quantized(name, Codec.INT4);
            default -> throw new IllegalArgumentException("unknown codec '" + name + "'; known: " + NAMES);
        };
    }

    private static DeltaCodec quantized(String name, Codec codec) {
        return new DeltaCodec() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long wireBytes(long elements) {
                return Quantization.wireBytes(codec, elements);
            }

            @Override
            public Sender sender(int size) {
                ErrorFeedback feedback = new ErrorFeedback(size);
                return values -> feedback.compress(codec, values);
            }
        };
    }
}
