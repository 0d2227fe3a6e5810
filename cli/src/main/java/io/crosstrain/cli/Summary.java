package io.crosstrain.cli;

import java.io.PrintStream;
import java.util.Locale;

import tools.jackson.databind.JsonNode;

/** The table a demo ends with. */
final class Summary {
    private Summary() {
    }

    static void print(PrintStream out, DemoRunner.Outcome o, double wallSeconds) {
        JsonNode r = o.report();
        JsonNode eff = r.path("efficiency");
        JsonNode wan = r.path("wan");
        String mode = r.path("mode").asString();
        out.println();
        out.println("Result (" + mode + ")");
        boolean emulated = "emulated".equals(mode);
        // under emulation a device runs at the speed it is paced to: say so in the column
        out.println(String.format(Locale.ROOT, "  %-14s %-6s %-12s %6s %12s %8s", "device", "dc", "chip", "batch",
                emulated ? "paced smp/s" : "samples/s", "busy"));
        for (JsonNode d : r.path("devices")) {
            out.println(String.format(Locale.ROOT, "  %-14s %-6s %-12s %6d %12.1f %7.1f%%", d.path("id").asString(),
                    d.path("datacenter").asString(), d.path("chip").asString(), d.path("batch").asInt(),
                    d.path("samplesPerSec").asDouble(), 100 * d.path("busyFraction").asDouble()));
        }
        out.println(String.format(Locale.ROOT, "  efficiency eta          %.3f  (achieved %.1f of %.1f samples/s, %s)",
                eff.path("eta").asDouble(), eff.path("achievedSamplesPerSec").asDouble(),
                eff.path("idealSamplesPerSec").asDouble(), mode));
        if (eff.path("etaMeasures").isString()) {
            out.println("    eta measures          " + eff.path("etaMeasures").asString());
        }
        if ("predicted".equals(eff.path("equalSplitEtaSource").asString())
                && eff.path("equalSplitEta").asDouble() == 0) {
            // the planner's η of 0: an equal share exceeds some replica's memory cap (its assumptions say which)
            out.println("  equal-split eta         -      (the equal split cannot run on this cluster: planner)");
        } else if (eff.path("equalSplitEta").isNumber()) {
            out.println(String.format(Locale.ROOT, "  equal-split eta         %.3f  (%s, job %s)",
                    eff.path("equalSplitEta").asDouble(), eff.path("equalSplitEtaSource").asString(),
                    eff.path("equalSplitJobId").asString("-")));
        }
        out.println(String.format(Locale.ROOT, "  predicted eta           %.3f  (planner)", eff.path("predictedEta").asDouble()));
        if (o.simulated() != null && o.simulated().path("predicted").path("eta").isNumber()) {
            double sim = o.simulated().path("predicted").path("eta").asDouble();
            double measured = eff.path("eta").asDouble();
            out.println(String.format(Locale.ROOT, "  simulate eta            %.3f  (POST /api/v1/plans/simulate at the emulated "
                    + "speeds; measured is %.1f%% below)", sim, 100 * (sim - measured) / sim));
        }
        printLayouts(out, r, o.simulated());
        out.println(String.format(Locale.ROOT, "  communication fraction  %.3f",
                eff.path("communicationFraction").asDouble()));
        out.println(String.format(Locale.ROOT, "  loss                    %.3f -> %.3f over %d steps, %d samples",
                r.path("loss").path("first").asDouble(), r.path("loss").path("last").asDouble(),
                r.path("steps").asInt(), r.path("samples").asLong()));
        out.println(String.format(Locale.ROOT, "  WAN bytes               %,d (sync DP fp32 would send %,d)",
                wan.path("bytes").asLong(), wan.path("syncDpBytes").asLong()));
        out.println(String.format(Locale.ROOT, "  replicas identical      %s (%d checks)",
                r.path("replicas").path("identical").asBoolean(), r.path("replicas").path("checkedSteps").asInt()));
        for (JsonNode g : r.path("replicas").path("groups")) {
            out.println(String.format(Locale.ROOT, "    %-21s %s over %d checks (%s)", g.path("range").asString(),
                    g.path("identical").asBoolean() ? "identical" : "DIVERGED", g.path("checkedSteps").asInt(),
                    String.join(", ", g.path("devices").valueStream().map(JsonNode::asString).toList())));
        }
        printCheckpoints(out, r);
        if (r.has("emulation")) {
            out.println(String.format(Locale.ROOT, "  emulation time scale k  %.4g",
                    r.path("emulation").path("timeScale").asDouble()));
            if (r.path("emulation").path("memoryScale").isNumber()) {
                out.println(String.format(Locale.ROOT, "  emulation memory scale  %.3g  (each chip holds its memory "
                        + "times this)", r.path("emulation").path("memoryScale").asDouble()));
            }
        }
        out.println("  report                  " + o.reportFile());
        out.println("  plot                    " + o.plotFile());
        if (o.sample() != null) {
            out.println("  sample from the trained model (its final checkpoint, POST /api/v1/jobs/{id}/generate):");
            out.println("    " + o.sample().replace("\n", "\n    "));
        }
        out.println(String.format(Locale.ROOT, "  demo wall time          %.0f s", wallSeconds));
    }

    /** One line per checkpoint the report lists: size, the slowest shard's write, the longest device pause. */
    static void printCheckpoints(PrintStream out, JsonNode r) {
        for (JsonNode c : r.path("checkpoints")) {
            out.println(String.format(Locale.ROOT, "  checkpoint step %-7d %.2f MB, written in %.0f ms "
                    + "(slowest shard, beside training), longest device pause %.1f ms, %s", c.path("step").asLong(),
                    c.path("bytes").asLong() / 1e6, c.path("uploadMillis").asDouble(),
                    c.path("pauseMillis").asDouble(), c.path("location").asString()));
        }
    }

    /** Per datacenter: its replicas' stages (layers on which device), predicted and measured bubble. */
    private static void printLayouts(PrintStream out, JsonNode r, JsonNode simulated) {
        if (!r.path("bubbleFraction").isNumber()) {
            return; // whole replicas only: the device table says it all
        }
        out.println(String.format(Locale.ROOT, "  bubble fraction         %.3f measured, %.3f predicted",
                r.path("bubbleFraction").asDouble(), r.path("efficiency").path("predictedBubbleFraction").asDouble()));
        out.println("  layouts");
        for (JsonNode l : r.path("layouts")) {
            JsonNode replicas = l.path("replicas");
            String chip = replicas.path(0).path("stages").path(0).path("chip").asString("");
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "    %-4s %d x %s, %s", l.path("datacenter")
                    .asString(), replicas.size(), l.path("stages").asInt() == 1 ? "whole replica"
                    : l.path("stages").asInt() + " stages", chip));
            if (l.path("stages").asInt() > 1) {
                line.append(", layers ").append(String.join(" | ",
                        replicas.path(0).path("stages").valueStream().map(st -> st.path("layers").asString()).toList()));
                line.append(String.format(Locale.ROOT, ", micro-batch %d, bubble %.3f (predicted %.3f)",
                        l.path("microBatchSize").asInt(), l.path("bubbleFraction").asDouble(),
                        l.path("predictedBubbleFraction").asDouble()));
            }
            if (!l.path("idle").isEmpty()) {
                line.append(", idle ").append(l.path("idle").size());
            }
            out.println(line);
        }
        if (simulated == null) {
            return;
        }
        out.println("  planner's alternatives (simulate, per datacenter: chosen / layers split evenly / whole "
                + "replicas only)");
        for (JsonNode l : simulated.path("layouts")) {
            out.println(String.format(Locale.ROOT, "    %-4s eta %.3f / %s / %s", l.path("datacenter").asString(),
                    l.path("eta").asDouble(), alternative(l.path("equalLayers")),
                    alternative(l.path("dataParallelOnly"))));
        }
    }

    private static String alternative(JsonNode alt) {
        if (alt.isMissingNode() || alt.isNull()) {
            return "-";
        }
        return alt.path("feasible").asBoolean() ? String.format(Locale.ROOT, "eta %.3f", alt.path("eta").asDouble())
                : "does not fit (" + alt.path("reason").asString() + ")";
    }
}
