package io.crosstrain.codec;

import static io.crosstrain.testsupport.RandomCases.between;
import static io.crosstrain.testsupport.RandomCases.oneOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.offset;

import io.crosstrain.testsupport.RandomCases;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Error feedback loses nothing over time: what the receiver has seen trails the true sum by the residual only. */
class ErrorFeedbackProperties {

    private static final int B = Codec.BLOCK;

    /** The same vector compressed {@code rounds} times. */
    record Rounds(Codec codec, float[] values, int rounds) {
        @Override
        public String toString() {
            return codec + " x" + rounds + " " + (values.length <= 8 ? Arrays.toString(values)
                    : values.length + " values");
        }
    }

    /**
     * One quantization step of element {@code i} of a constant stream: the block scale (INT8, INT4), or the spacing of
     * FP16/BF16 values at that magnitude. An upper bound over all rounds: the residual can raise a block's absmax by
     * at most half a step, so the step of any round is at most absmax/(levels − 1/2) < absmax/(levels − 1).
     */
    private static double step(Codec c, float[] v, int i) {
        return switch (c) {
            case FP32 -> 0;
            case BF16 -> Math.max(Math.abs(v[i]) * 0x1p-6, 0x1p-132);
            case FP16 -> Math.max(Math.abs(v[i]) * 0x1p-9, 0x1p-23);
            case INT8, INT4 -> {
                int start = i / B * B;
                double absmax = 0;
                for (int k = start; k < Math.min(v.length, start + B); k++) {
                    absmax = Math.max(absmax, Math.abs(v[k]));
                }
                yield absmax / (c == Codec.INT8 ? 126 : 6);
            }
        };
    }

    @Test
    void theReceiversRunningSumTrailsTheTrueSumByLessThanOneStep() {
        List<Rounds> edges = new ArrayList<>();
        for (Codec c : Codec.values()) {
            edges.add(new Rounds(c, new float[] {1f, 0.003f, -0.0004f, 0.5f}, 2000));
            edges.add(new Rounds(c, new float[0], 3));
            edges.add(new Rounds(c, new float[B + 1], 10));
            edges.add(new Rounds(c, QuantizationProperties.finiteValues(3 * B + 5, 11), 500));
        }
        int ran = RandomCases.check(edges, 300, r -> new Rounds(oneOf(r, Codec.values()),
                QuantizationProperties.finiteValues(between(r, 1, 4 * B), r.nextLong()), between(r, 1, 400)), s -> {
            float[] v = s.values();
            ErrorFeedback ef = new ErrorFeedback(v.length);
            double[] trueSum = new double[v.length];
            double[] seenSum = new double[v.length];
            for (int round = 1; round <= s.rounds(); round++) {
                float[] seen = ef.compress(s.codec(), v);
                float[] residual = ef.residual();
                for (int i = 0; i < v.length; i++) {
                    trueSum[i] += v[i];
                    seenSum[i] += seen[i];
                    double gap = Math.abs(trueSum[i] - seenSum[i]);
                    // float rounding of value + residual, at most half an ulp of the block's values a round
                    double drift = round * ((step(Codec.INT8, v, i) * 126 + Math.abs(v[i])) * 0x1p-23 + 0x1p-140);
                    if (!(gap <= step(s.codec(), v, i) + drift)) {
                        fail("round %d element %d (%s): true sum %s, seen %s, gap %s", round, i, v[i], trueSum[i],
                                seenSum[i], gap);
                    }
                    // nothing else goes missing: the gap is the residual
                    if (!(Math.abs(trueSum[i] - seenSum[i] - residual[i]) <= drift)) {
                        fail("round %d element %d: gap %s but residual %s", round, i, trueSum[i] - seenSum[i],
                                residual[i]);
                    }
                }
            }
            if (s.codec() == Codec.FP32) {
                assertThat(ef.residual()).isEqualTo(new float[v.length]);
            }
        });
        assertThat(ran).isPositive();
    }

    @Test
    void withoutFeedbackAValueBelowHalfAStepIsLostForeverWithFeedbackItArrives() {
        for (Codec c : List.of(Codec.INT8, Codec.INT4)) {
            // 1.0 sets the block's step (1/127 or 1/7); the small value is a third of half a step
            float small = c == Codec.INT8 ? 1f / 127 / 6 : 1f / 7 / 6;
            float[] v = {1f, small, -small};
            int rounds = 1000;
            ErrorFeedback ef = new ErrorFeedback(v.length);
            double plain = 0;
            double fed = 0;
            for (int round = 0; round < rounds; round++) {
                plain += Quantization.roundTrip(c, v)[1];
                fed += ef.compress(c, v)[1];
            }
            double truth = (double) small * rounds;
            assertThat(plain).as("%s without feedback", c).isZero();
            assertThat(Math.abs(fed - truth)).as("%s with feedback", c).isLessThanOrEqualTo(1.0 / (c == Codec.INT8
                    ? 127 : 7));
            assertThat(fed).as("%s with feedback", c).isGreaterThan(truth * 0.99);
        }
    }

    @Test
    void fp32PassesValuesThroughBitForBit() {
        float[] v = {-0f, 1e-45f, 3.5f, -7e30f};
        ErrorFeedback ef = new ErrorFeedback(v.length);
        for (int i = 0; i < 3; i++) {
            QuantizationProperties.assertSameBits(ef.compress(Codec.FP32, v), v);
        }
        assertThat(ef.residual()).containsOnly(0f);
    }

    @Test
    void switchingToFp32FlushesTheResidual() {
        float[] v = {1f, 0.001f, 0.3f};
        ErrorFeedback ef = new ErrorFeedback(v.length);
        float[] first = ef.compress(Codec.INT4, v);
        float[] carried = ef.residual();
        assertThat(carried).isNotEqualTo(new float[3]);
        float[] second = ef.compress(Codec.FP32, v);
        assertThat(ef.residual()).containsOnly(0f);
        for (int i = 0; i < v.length; i++) {
            assertThat((double) first[i] + second[i]).isCloseTo(2.0 * v[i], offset(1e-6));
        }
    }

    @Test
    void theFp16ClampIsCarriedNotLost() {
        ErrorFeedback ef = new ErrorFeedback(1);
        float[] big = {100_000f};
        assertThat(ef.compress(Codec.FP16, big)).containsExactly(65504f);
        assertThat(ef.residual()).containsExactly(100_000f - 65504f);
        assertThat(ef.compress(Codec.FP16, new float[] {0f})).containsExactly(Quantization.roundToFp16(34496f));
    }

    @Test
    void residualIsACopyResetForgetsItAndBadInputLeavesTheStateAlone() {
        ErrorFeedback ef = new ErrorFeedback(2);
        ef.compress(Codec.INT8, new float[] {1f, 0.003f});
        float[] r = ef.residual();
        assertThat(r[1]).isEqualTo(0.003f);
        r[1] = 42f;
        assertThat(ef.residual()[1]).isEqualTo(0.003f);

        assertThatThrownBy(() -> ef.compress(Codec.INT8, new float[] {1f, Float.NaN}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 1");
        assertThatThrownBy(() -> ef.compress(Codec.FP16, new float[] {Float.POSITIVE_INFINITY, 0f}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("element 0");
        assertThatThrownBy(() -> ef.compress(Codec.INT8, new float[3])).isInstanceOf(IllegalArgumentException.class);
        assertThat(ef.residual()[1]).isEqualTo(0.003f);

        ef.reset();
        assertThat(ef.residual()).containsOnly(0f);
        assertThat(ef.compress(Codec.INT8, new float[] {1f, 0.003f})[1]).isZero();
        assertThatThrownBy(() -> new ErrorFeedback(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
