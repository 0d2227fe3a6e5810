package io.crosstrain.cli;

import java.io.PrintStream;
import java.util.Locale;

/** A one-line progress bar; without a terminal it prints a line every tenth of the way instead. */
final class ProgressBar {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private int lastDecile = -1;

    ProgressBar(PrintStream out, String label) {
        this.out = out;
        this.label = label;
        this.terminal = System.console() != null && !"true".equals(System.getenv("CI"));
    }

    void update(int done, int total, String detail) {
        double f = total <= 0 ? 0 : Math.min(1.0, done / (double) total);
        if (terminal) {
            int filled = (int) Math.round(f * WIDTH);
            out.print("\r  " + label + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] "
                    + String.format(Locale.ROOT, "%3d%% %d/%d %s", (int) (f * 100), done, total, detail) + "   ");
            out.flush();
        } else {
            int decile = (int) (f * 10);
            if (decile != lastDecile) {
                lastDecile = decile;
                out.println(String.format(Locale.ROOT, "  %s %3d%% %d/%d %s", label, decile * 10, done, total,
                        detail));
            }
        }
    }

    void finish() {
        if (terminal) {
            out.println();
        }
    }
}
