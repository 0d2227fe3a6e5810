package io.crosstrain.relay.domain;

import java.util.ArrayList;
import java.util.List;

import io.crosstrain.codec.ChunkView;
import io.crosstrain.codec.Codec;
import io.crosstrain.relay.domain.RoundAggregator.Output;

/** One (job, plan version, round, chunk) in progress. */
final class Slot {
    final int chunkCount;
    final long totalElements;
    final long elementOffset;
    final int elementCount;
    final Codec codec;
    /** Contributions that arrived ahead of a lower-ordered one, by position: the records themselves, summed when
     *  their turn comes (holding the record costs nothing extra; decoding early would copy it). */
    final ChunkView[] waiting;
    final boolean[] seen;
    /** Where each contribution came from, until the chunk is emitted. */
    final Object[] origins;
    float[] acc;
    int nextToFold;
    int received;
    long weight;
    long foreignBytes;
    long readyAtMs;
    long openedAtMs;
    /** Some contribution asked for the job to stop after this round. */
    boolean stop;
    final List<String> late = new ArrayList<>(1);
    Output output;

    final SumArrays sums;

    Slot(ChunkView first, int contributors, SumArrays sums) {
        this.sums = sums;
        chunkCount = first.chunkCount();
        totalElements = first.totalElements();
        elementOffset = first.elementOffset();
        elementCount = first.elementCount();
        codec = first.meta().codec();
        waiting = new ChunkView[contributors];
        seen = new boolean[contributors];
        origins = new Object[contributors];
    }

    boolean sameLayout(ChunkView c) {
        return c.chunkCount() == chunkCount && c.totalElements() == totalElements
                && c.elementOffset() == elementOffset && c.elementCount() == elementCount
                && c.meta().codec() == codec;
    }

    String describe() {
        return "(" + chunkCount + " chunks, " + totalElements + " elements, at " + elementOffset + "+"
                + elementCount + ", " + codec + ")";
    }

    boolean has(int position) {
        return seen[position];
    }

    void add(int position, ChunkView values, int samples, int foreign, Object origin, long readyAt) {
        readyAtMs = Math.max(readyAtMs, readyAt);
        seen[position] = true;
        origins[position] = origin;
        received++;
        weight += samples;
        foreignBytes += foreign;
        waiting[position] = values;
        // fold every contribution whose predecessors are all in, straight from its record: the sum order is the
        // position order, whatever the arrival order
        while (nextToFold < waiting.length && waiting[nextToFold] != null) {
            ChunkView v = waiting[nextToFold];
            waiting[nextToFold] = null;
            if (acc == null) {
                acc = sums.take(v.elementCount());
                v.copyValuesTo(acc, 0);
            } else {
                v.addValuesTo(acc, sums.scratch(v.elementCount()));
            }
            nextToFold++;
        }
    }

    boolean complete() {
        return received == seen.length;
    }
}
