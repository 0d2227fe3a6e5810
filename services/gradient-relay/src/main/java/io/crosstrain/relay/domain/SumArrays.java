package io.crosstrain.relay.domain;

import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A few sum arrays to reuse: a relay sums chunk after chunk of the same size, and handing each a fresh 512 KiB
 * array costs allocation and collection for nothing. Only used under the aggregator's lock.
 */
final class SumArrays {
    private final ArrayDeque<float[]> free = new ArrayDeque<>();
    private float[] scratch = new float[0];

    float[] take(int length) {
        for (Iterator<float[]> it = free.iterator(); it.hasNext(); ) {
            float[] a = it.next();
            if (a.length == length) {
                it.remove();
                return a; // every element is overwritten by the first contribution's copy
            }
        }
        return new float[length];
    }

    /** One decode buffer for summing contributions (the lock makes one enough); grown on demand. */
    float[] scratch(int length) {
        if (scratch.length < length) {
            scratch = new float[length];
        }
        return scratch;
    }

    void give(float[] a) {
        if (a != null && free.size() < 8) {
            free.addFirst(a);
        }
    }
}
