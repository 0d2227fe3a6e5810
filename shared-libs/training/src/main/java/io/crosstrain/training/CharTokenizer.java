package io.crosstrain.training;

import java.util.Arrays;

/**
 * Character-level tokenizer: the vocabulary is the sorted set of distinct Unicode code points of a text, and a
 * token is the index of its code point in that set. Two tokenizers built from the same text are identical.
 */
public final class CharTokenizer {

    private final int[] codePoints;
    /** Fast path for the Basic Multilingual Plane up to the largest such code point: code point -> token or -1. */
    private final int[] bmpIndex;

    private CharTokenizer(int[] sortedDistinctCodePoints) {
        this.codePoints = sortedDistinctCodePoints;
        int maxBmp = -1;
        for (int cp : codePoints) {
            if (cp <= Character.MAX_VALUE) {
                maxBmp = cp;
            }
        }
        this.bmpIndex = new int[maxBmp + 1];
        Arrays.fill(bmpIndex, -1);
        for (int i = 0; i < codePoints.length; i++) {
            if (codePoints[i] <= Character.MAX_VALUE) {
                bmpIndex[codePoints[i]] = i;
            }
        }
    }

    /** The tokenizer whose vocabulary is the distinct code points of {@code text}, sorted. */
    public static CharTokenizer fromText(String text) {
        int[] distinct = text.codePoints().distinct().sorted().toArray();
        if (distinct.length == 0) {
            throw new IllegalArgumentException("cannot build a vocabulary from empty text");
        }
        return new CharTokenizer(distinct);
    }

    /** Rebuilds a tokenizer from its vocabulary (as returned by {@link #vocabulary()}). */
    public static CharTokenizer ofVocabulary(int[] codePoints) {
        int[] sorted = Arrays.stream(codePoints).distinct().sorted().toArray();
        if (sorted.length != codePoints.length || !Arrays.equals(sorted, codePoints)) {
            throw new IllegalArgumentException("vocabulary must be sorted distinct code points");
        }
        if (sorted.length == 0) {
            throw new IllegalArgumentException("vocabulary must not be empty");
        }
        return new CharTokenizer(sorted.clone());
    }

    public int vocabSize() {
        return codePoints.length;
    }

    /** The code points of the vocabulary in token order (a copy). */
    public int[] vocabulary() {
        return codePoints.clone();
    }

    /** Encodes every code point of {@code text}; a code point outside the vocabulary is an error. */
    public int[] encode(String text) {
        int[] out = new int[text.codePointCount(0, text.length())];
        int n = 0;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            out[n++] = token(cp, i);
            i += Character.charCount(cp);
        }
        return out;
    }

    /** Decodes tokens back to text; a token outside [0, vocabSize) is an error. */
    public String decode(int[] tokens) {
        StringBuilder sb = new StringBuilder(tokens.length);
        for (int t : tokens) {
            if (t < 0 || t >= codePoints.length) {
                throw new IllegalArgumentException("token " + t + " outside vocabulary of " + codePoints.length);
            }
            sb.appendCodePoint(codePoints[t]);
        }
        return sb.toString();
    }

    /** Whether every code point of {@code text} is in the vocabulary. */
    public boolean canEncode(String text) {
        return text.codePoints().allMatch(cp -> lookup(cp) >= 0);
    }

    private int token(int cp, int position) {
        int t = lookup(cp);
        if (t < 0) {
            throw new IllegalArgumentException(String.format("character U+%04X at index %d is not in the vocabulary",
                    cp, position));
        }
        return t;
    }

    private int lookup(int cp) {
        if (cp < bmpIndex.length) {
            return bmpIndex[cp];
        }
        if (cp <= Character.MAX_VALUE) {
            return -1;
        }
        int i = Arrays.binarySearch(codePoints, cp);
        return i >= 0 ? i : -1;
    }
}
