package io.crosstrain.bench.wan;

import io.crosstrain.codec.Codec;
import io.crosstrain.codec.Quantization;

/**
 * How a datacenter's pseudo-gradient crosses the WAN: the bytes it puts on the wire and, per datacenter, a
 * {@link Sender} that returns what the receivers decode (carrying any quantization residual to the next round).
 */
public interface DeltaCodec {

    /** Name in the table and the JSON ("fp32", "int8", "4-bit"). */
    String name();

    /** Payload bytes of one tensor of {@code elements} floats. */
    long wireBytes(long elements);

    /** A fresh per-datacenter sender for tensors of {@code size} floats. */
    Sender sender(int size);

    /** One datacenter's side of the codec; stateful when the codec keeps an error-feedback residual. */
    interface Sender {
        /** What every receiver decodes for {@code values}; {@code values} is not modified. */
        float[] send(float[] values);
    }

    /** Lossless float32: 4 bytes an element, no residual. */
    DeltaCodec FP32 = new DeltaCodec() {
        @Override
        public String name() {
            return "fp32";
        }

        @Override
        public long wireBytes(long elements) {
            return Quantization.wireBytes(Codec.FP32, elements);
        }

        @Override
        public Sender sender(int size) {
            return float[]::clone;
        }
    };
}
