package io.crosstrain.training;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** A training text with its character tokenizer and its token sequence (encoded once, on first use). */
public final class Corpus {

    /** Names accepted by {@link #bundled(String)}. */
    public static final List<String> BUNDLED_NAMES = List.of("grammar-en");

    private final String text;
    private final CharTokenizer tokenizer;
    private volatile int[] tokens;

    private Corpus(String text) {
        if (text.isEmpty()) {
            throw new IllegalArgumentException("corpus text is empty");
        }
        this.text = text;
        this.tokenizer = CharTokenizer.fromText(text);
    }

    /** A corpus shipped in this jar; {@code "grammar-en"} is the output of {@link CorpusGenerator}. */
    public static Corpus bundled(String name) {
        if (name == null || !BUNDLED_NAMES.contains(name)) {
            throw new IllegalArgumentException("unknown bundled corpus '" + name + "'; known: " + BUNDLED_NAMES);
        }
        String resource = "/io/crosstrain/training/corpus/" + name + ".txt";
        try (InputStream in = Corpus.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("bundled corpus resource missing from the class path: " + resource);
            }
            return new Corpus(decodeUtf8(in.readAllBytes(), resource));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read bundled corpus " + resource, e);
        }
    }

    /**
     * Reads a UTF-8 text file of at most {@code maxBytes} bytes. Missing, unreadable, too big, empty and non-UTF-8
     * files are rejected with an {@link IllegalArgumentException} that names the file and the problem.
     */
    public static Corpus fromFile(Path path, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        long size;
        try {
            if (Files.isDirectory(path)) {
                throw new IllegalArgumentException("corpus path is a directory, not a file: " + path);
            }
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("corpus file not found: " + path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read corpus file " + path + ": " + e.getMessage(), e);
        }
        if (size > maxBytes) {
            throw new IllegalArgumentException("corpus file " + path + " is too big: " + size + " bytes, limit "
                    + maxBytes);
        }
        if (size == 0) {
            throw new IllegalArgumentException("corpus file is empty: " + path);
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read corpus file " + path + ": " + e.getMessage(), e);
        }
        if (bytes.length > maxBytes) { // grew while we looked
            throw new IllegalArgumentException("corpus file " + path + " is too big: " + bytes.length
                    + " bytes, limit " + maxBytes);
        }
        return new Corpus(decodeUtf8(bytes, path.toString()));
    }

    /** A corpus over the given text (must not be empty). */
    public static Corpus of(String text) {
        return new Corpus(text);
    }

    public String text() {
        return text;
    }

    public CharTokenizer tokenizer() {
        return tokenizer;
    }

    /** The whole text encoded with {@link #tokenizer()}; computed once and shared, so do not modify it. */
    public int[] tokens() {
        int[] t = tokens;
        if (t == null) {
            synchronized (this) {
                t = tokens;
                if (t == null) {
                    t = tokenizer.encode(text);
                    tokens = t;
                }
            }
        }
        return t;
    }

    public int vocabSize() {
        return tokenizer.vocabSize();
    }

    private static String decodeUtf8(byte[] bytes, String source) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            return decoder.decode(in).toString();
        } catch (MalformedInputException e) {
            throw new IllegalArgumentException("corpus " + source + " is not valid UTF-8 (bad byte sequence at offset "
                    + in.position() + ")", e);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("corpus " + source + " is not valid UTF-8", e);
        }
    }
}
