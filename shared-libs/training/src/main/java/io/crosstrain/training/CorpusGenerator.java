package io.crosstrain.training;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Our own seeded generator of English-like prose, the source of the bundled training corpus.
 *
 * <p>The text comes from a small probabilistic grammar; every word list and template below was written for
 * CrossTrain. The grammar, top down:
 * <pre>
 * document   := (heading? paragraph)*             a heading "Chapter n. The Adj Noun" every 8-14 paragraphs
 * paragraph  := sentence{3..7}                    one tense (present or past) and one main character per paragraph,
 *                                                 wrapped at 72 columns, paragraphs separated by a blank line
 * sentence   := simple | compound | subordinate | question | dialogue | inventory | measure | exclamation | command
 * exclamation:= "What a(n) " adj noun "!" | "How " adj " the " noun (" is"|" was") "!"
 * simple     := subject predicate place? adverb? "."
 * compound   := clause ", " ("and"|"but"|"so"|"yet") " " clause "."
 * subordinate:= ("When"|"Because"|"Although"|"While"|"Before"|"After"|"Until") clause ", " clause "."
 * question   := ("Did"|"Does"|"Do") subject verb object "?" | wh-word ... "?"
 * dialogue   := '"' (statement|command) '," said ' Name "."  |  Name ' said, "' statement '."'
 *             |  '"' question '" asked ' Name "."            (speech is always in the present tense)
 * inventory  := "In the " place " there " ("were"|"are") count adj? plurals (", " count plurals)* " and " ... "."
 * measure    := number facts: heights in feet, years 1700-1999, clock times h:mm, counts and ratios
 * subject    := Name | pronoun (after the character is introduced) | det adj* noun | det adj* plural
 * predicate  := transitive object | intransitive | copula degree? adjective | ("has"|"have"|"had") count plurals
 * object     := det adj? noun ("of the" noun)?   with "a"/"an" chosen by the next word's first letter
 * </pre>
 * Verbs agree with their subject (third person singular "-s" in the present), and pronouns follow the character's
 * gender, so a character model has real structure to learn: spelling, agreement, punctuation, quotes and
 * capitalisation, number formats and line layout.
 *
 * <p>Randomness comes from our own SplitMix64 generator ({@code Rng}), not from {@code java.util.Random}, so the text
 * for a seed is the same on every JDK.
 *
 * <p>The bundled corpus {@code /io/crosstrain/training/corpus/grammar-en.txt} is {@code generate(BUNDLED_SEED,
 * BUNDLED_BYTES)}, i.e. seed {@value #BUNDLED_SEED} and at most {@value #BUNDLED_BYTES} bytes; regenerate it with
 * {@code java io.crosstrain.training.CorpusGenerator [output-file]}. A test checks the committed file byte for byte.
 */
public final class CorpusGenerator {

    /** Seed of the bundled corpus. */
    public static final long BUNDLED_SEED = 20_250_917L;
    /** Size limit of the bundled corpus in bytes (the text is ASCII, so also in characters). */
    public static final int BUNDLED_BYTES = 400_000;
    /**
     * Class-path name of the bundled corpus; {@link #main} without arguments writes it below
     * {@code src/main/resources} of the current directory (run it from {@code shared-libs/training}).
     */
    public static final String BUNDLED_RESOURCE = "/io/crosstrain/training/corpus/grammar-en.txt";

    private static final int LINE_WIDTH = 72;

    // ---- vocabulary (written for this project) -------------------------------------------------------------

    private static final String[] NAMES_F = {"Mara", "Elsa", "Juno", "Ines", "Talia", "Wren", "Nadia", "Orla", "Priya",
        "Sofie"};
    private static final String[] NAMES_M = {"Tobin", "Ravi", "Oskar", "Idris", "Milo", "Anton", "Felix", "Hugo",
        "Kasim", "Bram"};

    /** singular, plural */
    private static final String[][] NOUNS = {
        {"river", "rivers"}, {"lantern", "lanterns"}, {"farmer", "farmers"}, {"engine", "engines"},
        {"garden", "gardens"}, {"window", "windows"}, {"machine", "machines"}, {"sailor", "sailors"},
        {"teacher", "teachers"}, {"village", "villages"}, {"bridge", "bridges"}, {"signal", "signals"},
        {"market", "markets"}, {"letter", "letters"}, {"kettle", "kettles"}, {"orchard", "orchards"},
        {"clock", "clocks"}, {"road", "roads"}, {"storm", "storms"}, {"tower", "towers"}, {"child", "children"},
        {"fox", "foxes"}, {"wolf", "wolves"}, {"city", "cities"}, {"ferry", "ferries"}, {"map", "maps"},
        {"island", "islands"}, {"baker", "bakers"}, {"owl", "owls"}, {"harbour", "harbours"}, {"cart", "carts"},
        {"miller", "millers"}, {"key", "keys"}, {"box", "boxes"}, {"song", "songs"}, {"boat", "boats"},
        {"stone", "stones"}, {"candle", "candles"}, {"goat", "goats"}, {"ladder", "ladders"}, {"hill", "hills"},
        {"station", "stations"}, {"inventor", "inventors"}, {"apple", "apples"}, {"umbrella", "umbrellas"},
        {"radio", "radios"}, {"wheel", "wheels"}, {"scholar", "scholars"}, {"valley", "valleys"},
        {"lamp", "lamps"}, {"mountain", "mountains"}, {"pocket", "pockets"}, {"book", "books"},
        {"shepherd", "shepherds"}, {"sheep", "sheep"}, {"glass", "glasses"}, {"fisherman", "fishermen"},
        {"compass", "compasses"}, {"riddle", "riddles"}, {"workshop", "workshops"},
    };

    private static final String[] ADJECTIVES = {"quiet", "bright", "small", "heavy", "old", "green", "restless",
        "careful", "hollow", "distant", "warm", "narrow", "patient", "silver", "crooked", "gentle", "sudden", "tired",
        "clever", "wooden", "empty", "broken", "golden", "cold", "curious", "ancient", "noisy", "lonely", "strange",
        "humble", "icy", "eager", "orange", "open", "steady", "rusty", "honest", "busy", "tall", "young"};

    /** base, third person singular, past */
    private static final String[][] TRANSITIVE = {
        {"watch", "watches", "watched"}, {"carry", "carries", "carried"}, {"build", "builds", "built"},
        {"find", "finds", "found"}, {"repair", "repairs", "repaired"}, {"paint", "paints", "painted"},
        {"follow", "follows", "followed"}, {"count", "counts", "counted"}, {"open", "opens", "opened"},
        {"sell", "sells", "sold"}, {"mend", "mends", "mended"}, {"lose", "loses", "lost"},
        {"remember", "remembers", "remembered"}, {"hide", "hides", "hid"}, {"visit", "visits", "visited"},
        {"draw", "draws", "drew"}, {"read", "reads", "read"}, {"borrow", "borrows", "borrowed"},
        {"guard", "guards", "guarded"}, {"wind", "winds", "wound"}, {"polish", "polishes", "polished"},
        {"trust", "trusts", "trusted"}, {"catch", "catches", "caught"}, {"measure", "measures", "measured"},
        {"teach", "teaches", "taught"}, {"greet", "greets", "greeted"}, {"push", "pushes", "pushed"},
    };

    private static final String[][] INTRANSITIVE = {
        {"sleep", "sleeps", "slept"}, {"wait", "waits", "waited"}, {"sing", "sings", "sang"},
        {"wander", "wanders", "wandered"}, {"fall", "falls", "fell"}, {"shine", "shines", "shone"},
        {"listen", "listens", "listened"}, {"laugh", "laughs", "laughed"}, {"rest", "rests", "rested"},
        {"arrive", "arrives", "arrived"}, {"whisper", "whispers", "whispered"}, {"hurry", "hurries", "hurried"},
        {"vanish", "vanishes", "vanished"}, {"return", "returns", "returned"}, {"tremble", "trembles", "trembled"},
        {"work", "works", "worked"},
    };

    private static final String[] ADVERBS = {"slowly", "quietly", "again", "often", "carefully", "at dawn",
        "before noon", "every morning", "without a word", "in the rain", "at last", "once more", "all night",
        "with great care", "twice", "by lamplight"};
    private static final String[] PREPOSITIONS = {"near", "under", "beside", "behind", "across", "inside", "above",
        "toward", "beyond", "along"};
    private static final String[] COORDINATORS = {"and", "but", "so", "yet"};
    private static final String[] SUBORDINATORS = {"when", "because", "although", "while", "before", "after",
        "until"};
    private static final String[] WH_WORDS = {"where", "why", "how", "when"};
    private static final String[] SAY_VERBS = {"said", "called", "replied", "whispered", "answered"};
    private static final String[] ASK_VERBS = {"asked", "wondered", "said"};
    private static final String[] PLACES = {"market", "harbour", "workshop", "village", "garden", "station", "valley",
        "orchard", "tower", "city", "cellar", "square", "library", "kitchen"};
    private static final String[] SMALL_NUMBERS = {"two", "three", "four", "five", "six", "seven", "eight", "nine",
        "ten", "eleven", "twelve"};
    private static final String[] COMMANDS = {"bring", "take", "leave", "hold", "find", "carry", "hide", "open"};

    private final Rng rng;
    private final StringBuilder out = new StringBuilder();

    // paragraph state: tense and the character the paragraph is about
    private boolean past;
    private String character;
    private boolean characterFemale;
    private boolean characterIntroduced;

    private CorpusGenerator(long seed) {
        this.rng = new Rng(seed);
    }

    /**
     * Deterministic text for {@code seed}: whole paragraphs (and headings) while they fit, so the UTF-8 length is at
     * most {@code bytes} and at least {@code bytes} minus one paragraph. The text is plain ASCII.
     */
    public static String generate(long seed, int bytes) {
        if (bytes <= 0) {
            throw new IllegalArgumentException("bytes must be positive: " + bytes);
        }
        return new CorpusGenerator(seed).run(bytes);
    }

    /** Writes the bundled corpus to {@code args[0]} (default: this module's resource file). */
    public static void main(String[] args) throws IOException {
        Path target = args.length > 0 ? Path.of(args[0])
                : Path.of("src/main/resources" + BUNDLED_RESOURCE);
        Files.createDirectories(target.toAbsolutePath().getParent());
        String text = generate(BUNDLED_SEED, BUNDLED_BYTES);
        Files.writeString(target, text, StandardCharsets.UTF_8);
        System.out.println("wrote " + text.length() + " bytes to " + target.toAbsolutePath());
    }

    private String run(int bytes) {
        int chapter = 1;
        int untilHeading = 0;
        while (true) {
            StringBuilder block = new StringBuilder();
            if (untilHeading == 0) {
                block.append("Chapter ").append(chapter++).append(". The ")
                        .append(capitalize(rng.pick(ADJECTIVES))).append(' ')
                        .append(capitalize(rng.pick(NOUNS)[0])).append("\n\n");
                untilHeading = 8 + rng.nextInt(7);
            }
            block.append(paragraph()).append("\n\n");
            untilHeading--;
            if (out.length() + block.length() > bytes) {
                return out.toString();
            }
            out.append(block);
        }
    }

    private String paragraph() {
        past = rng.chance(0.6);
        characterFemale = rng.chance(0.5);
        character = rng.pick(characterFemale ? NAMES_F : NAMES_M);
        characterIntroduced = false;
        int sentences = 3 + rng.nextInt(5);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            if (i > 0) {
                text.append(' ');
            }
            text.append(sentence());
        }
        return wrap(text.toString());
    }

    private String sentence() {
        double r = rng.nextDouble();
        if (r < 0.26) {
            return capitalize(clause()) + place() + adverb() + ".";
        } else if (r < 0.40) {
            return capitalize(clause()) + ", " + rng.pick(COORDINATORS) + " " + clause() + ".";
        } else if (r < 0.52) {
            return capitalize(rng.pick(SUBORDINATORS)) + " " + clause() + ", " + clause() + ".";
        } else if (r < 0.60) {
            return capitalize(question());
        } else if (r < 0.74) {
            return dialogue();
        } else if (r < 0.81) {
            return inventory();
        } else if (r < 0.90) {
            return measure();
        } else if (r < 0.95) {
            return exclamation();
        } else {
            return capitalize(command()) + ".";
        }
    }

    // ---- clauses -----------------------------------------------------------------------------------------

    /** subject + predicate with agreement; returns lower-case start (callers capitalise). */
    private String clause() {
        Subject s = subject();
        return s.text + " " + predicate(s.plural);
    }

    private record Subject(String text, boolean plural) {
    }

    private Subject subject() {
        double r = rng.nextDouble();
        if (r < 0.35) {
            if (characterIntroduced && rng.chance(0.55)) {
                return new Subject(characterFemale ? "she" : "he", false);
            }
            characterIntroduced = true;
            return new Subject(character, false);
        }
        if (r < 0.45) {
            return new Subject(rng.chance(0.5) ? "they" : "we", true);
        }
        boolean plural = rng.chance(0.35);
        return new Subject(nounPhrase(plural, true), plural);
    }

    private String predicate(boolean plural) {
        double r = rng.nextDouble();
        if (r < 0.45) {
            return verb(rng.pick(TRANSITIVE), plural) + " " + object();
        } else if (r < 0.70) {
            return verb(rng.pick(INTRANSITIVE), plural);
        } else if (r < 0.88) {
            String be = past ? (plural ? "were" : "was") : (plural ? "are" : "is");
            String degree = rng.chance(0.3) ? rng.pick(new String[] {"very ", "rather ", "almost ", "never "}) : "";
            return be + " " + degree + rng.pick(ADJECTIVES);
        } else {
            String have = past ? "had" : (plural ? "have" : "has");
            return have + " " + count() + " " + rng.pick(NOUNS)[1];
        }
    }

    private String verb(String[] forms, boolean plural) {
        if (past) {
            return forms[2];
        }
        return plural ? forms[0] : forms[1];
    }

    private String object() {
        double r = rng.nextDouble();
        if (r < 0.12 && characterIntroduced) {
            return characterFemale ? "her" : "him";
        }
        if (r < 0.20) {
            return rng.pick(rng.chance(0.5) ? NAMES_F : NAMES_M);
        }
        String np = nounPhrase(rng.chance(0.25), false);
        if (rng.chance(0.15)) {
            np += " of the " + rng.pick(NOUNS)[rng.chance(0.5) ? 0 : 1];
        }
        return np;
    }

    /** determiner, up to two adjectives, noun. */
    private String nounPhrase(boolean plural, boolean subject) {
        StringBuilder adjs = new StringBuilder();
        int adjCount = rng.chance(0.45) ? (rng.chance(0.2) ? 2 : 1) : 0;
        String previous = "";
        for (int i = 0; i < adjCount; i++) {
            String adj = rng.pick(ADJECTIVES);
            if (!adj.equals(previous)) {
                adjs.append(adj).append(' ');
            }
            previous = adj;
        }
        String noun = rng.pick(NOUNS)[plural ? 1 : 0];
        String rest = adjs + noun;
        String det;
        if (plural) {
            det = rng.pick(subject ? new String[] {"the", "the", "some", "many", "all the", "those", "our"}
                    : new String[] {"the", "some", "two", "three", "several", "those", "her", "his"});
        } else {
            det = rng.pick(new String[] {"the", "the", "the", "a", "a", "every", "this", "that", "one", "each", "no",
                "her", "his", "our"});
            if (det.equals("a") && "aeiou".indexOf(rest.charAt(0)) >= 0) {
                det = "an";
            }
        }
        return det + " " + rest;
    }

    private String place() {
        if (!rng.chance(0.55)) {
            return "";
        }
        return " " + rng.pick(PREPOSITIONS) + " the " + (rng.chance(0.3) ? rng.pick(ADJECTIVES) + " " : "")
                + rng.pick(NOUNS)[0];
    }

    private String adverb() {
        return rng.chance(0.4) ? " " + rng.pick(ADVERBS) : "";
    }

    // ---- other sentence kinds -----------------------------------------------------------------------------

    private String question() {
        Subject s = subject();
        if (rng.chance(0.5)) {
            String aux = past ? "did" : (s.plural ? "do" : "does");
            return aux + " " + s.text + " " + rng.pick(TRANSITIVE)[0] + " " + object() + "?";
        }
        String aux = past ? "did" : (s.plural ? "do" : "does");
        String wh = rng.pick(WH_WORDS);
        return wh + " " + aux + " " + s.text + " " + rng.pick(INTRANSITIVE)[0] + "?";
    }

    private String command() {
        return rng.pick(COMMANDS) + " " + nounPhrase(rng.chance(0.3), false) + " "
                + rng.pick(PREPOSITIONS) + " the " + rng.pick(NOUNS)[0];
    }

    private String dialogue() {
        String speaker = rng.pick(rng.chance(0.5) ? NAMES_F : NAMES_M);
        double r = rng.nextDouble();
        String spoken;
        boolean isQuestion = false;
        boolean savedPast = past;
        past = false; // people speak in the present
        if (r < 0.45) {
            spoken = capitalize(clause());
        } else if (r < 0.75) {
            spoken = capitalize(question());
            isQuestion = true;
        } else {
            spoken = capitalize(command());
        }
        past = savedPast;
        if (isQuestion) {
            return "\"" + spoken + "\" " + rng.pick(ASK_VERBS) + " " + speaker + ".";
        }
        String say = rng.pick(SAY_VERBS);
        if (rng.chance(0.3)) {
            return speaker + " " + say + ", \"" + spoken + ".\"";
        }
        return "\"" + spoken + ",\" " + say + " " + speaker + ".";
    }

    private String inventory() {
        String be = past ? "were" : "are";
        StringBuilder s = new StringBuilder("In the ").append(rng.pick(PLACES)).append(" there ").append(be)
                .append(' ');
        int items = 2 + rng.nextInt(3);
        for (int i = 0; i < items; i++) {
            if (i > 0) {
                s.append(i == items - 1 ? " and " : ", ");
            }
            s.append(count()).append(' ');
            if (rng.chance(0.4)) {
                s.append(rng.pick(ADJECTIVES)).append(' ');
            }
            s.append(rng.pick(NOUNS)[1]);
        }
        return s.append('.').toString();
    }

    private String measure() {
        String was = past ? "was" : "is";
        switch (rng.nextInt(5)) {
            case 0:
                return "The " + rng.pick(NOUNS)[0] + " " + was + " " + (12 + rng.nextInt(380)) + " feet "
                        + rng.pick(new String[] {"tall", "long", "wide", "deep"}) + ".";
            case 1:
                return "In " + (1700 + rng.nextInt(300)) + " the " + rng.pick(NOUNS)[0] + " had "
                        + (20 + rng.nextInt(980)) + " " + rng.pick(NOUNS)[1] + ".";
            case 2:
                return "At " + (1 + rng.nextInt(12)) + ":" + String.format(Locale.ROOT, "%02d", 5 * rng.nextInt(12))
                        + " the " + rng.pick(NOUNS)[0] + " " + verb(rng.pick(INTRANSITIVE), false) + ".";
            case 3:
                int a = 1 + rng.nextInt(9);
                return capitalize(rng.pick(SMALL_NUMBERS)) + " of every " + (a + 1 + rng.nextInt(9)) + " "
                        + rng.pick(NOUNS)[1] + " " + (past ? "were" : "are") + " " + rng.pick(ADJECTIVES) + ".";
            default:
                int first = 2 + rng.nextInt(40);
                int second = 2 + rng.nextInt(40);
                return capitalize(character) + " counted " + first + " and " + second + " " + rng.pick(NOUNS)[1]
                        + ", " + (first + second) + " in all.";
        }
    }

    private String exclamation() {
        String adj = rng.pick(ADJECTIVES);
        String noun = rng.pick(NOUNS)[0];
        if (rng.chance(0.6)) {
            return "What " + ("aeiou".indexOf(adj.charAt(0)) >= 0 ? "an " : "a ") + adj + " " + noun + "!";
        }
        return "How " + adj + " the " + noun + " " + (past ? "was" : "is") + "!";
    }

    private String count() {
        return rng.chance(0.6) ? rng.pick(SMALL_NUMBERS) : Integer.toString(2 + rng.nextInt(498));
    }

    // ---- layout -------------------------------------------------------------------------------------------

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** Greedy line wrap at {@link #LINE_WIDTH} columns. */
    private static String wrap(String text) {
        StringBuilder result = new StringBuilder(text.length() + text.length() / LINE_WIDTH + 1);
        int lineLength = 0;
        for (String word : text.split(" ")) {
            if (lineLength > 0 && lineLength + 1 + word.length() > LINE_WIDTH) {
                result.append('\n');
                lineLength = 0;
            } else if (lineLength > 0) {
                result.append(' ');
                lineLength++;
            }
            result.append(word);
            lineLength += word.length();
        }
        return result.toString();
    }
}
