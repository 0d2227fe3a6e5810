package io.crosstrain.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import tools.jackson.databind.JsonNode;

/**
 * The report's picture: loss per step, and each device's throughput (paced, when emulated) next to its busy
 * fraction.
 */
final class ReportPlot {

    private ReportPlot() {
    }

    static void write(JsonNode report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        String mode = report.path("mode").asString("emulated");

        XYSeries loss = new XYSeries("training loss (batch-weighted mean over devices)");
        for (JsonNode p : report.path("loss").path("curve")) {
            loss.add(p.path("step").asInt(), p.path("loss").asDouble());
        }
        JFreeChart lossChart = ChartFactory.createXYLineChart("Loss (" + mode + ")", "step", "cross-entropy",
                new XYSeriesCollection(loss), PlotOrientation.VERTICAL, true, false, false);

        DefaultCategoryDataset speed = new DefaultCategoryDataset();
        for (JsonNode d : report.path("devices")) {
            speed.addValue(d.path("samplesPerSec").asDouble(), d.path("chip").asString(), d.path("id").asString());
        }
        JsonNode eff = report.path("efficiency");
        boolean emulated = "emulated".equals(mode);
        // a predicted 0 is the planner saying the equal split cannot run: nothing to compare with
        String against = eff.path("equalSplitEta").asDouble() > 0
                ? String.format(Locale.ROOT, " vs equal split %.3f", eff.path("equalSplitEta").asDouble()) : "";
        if (report.path("bubbleFraction").isNumber()) {
            against += String.format(Locale.ROOT, ", pipeline bubble %.3f", report.path("bubbleFraction").asDouble());
        }
        // a pipeline stage's bar is its whole-model-equivalent speed (docs/architecture.md §9)
        String title = String.format(Locale.ROOT, "Per-device %s samples/s (%s)  eta %.3f%s",
                emulated ? "paced" : "measured", mode, eff.path("eta").asDouble(), against);
        JFreeChart speedChart = ChartFactory.createBarChart(title, "device",
                emulated ? "paced samples/s (emulated chip)" : "samples/s", speed,
                PlotOrientation.VERTICAL, true, false, false);
        speedChart.getCategoryPlot().getDomainAxis().setCategoryLabelPositions(
                org.jfree.chart.axis.CategoryLabelPositions.UP_45);

        int w = 1600;
        int h = 600;
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        lossChart.draw(g, new Rectangle2D.Double(0, 0, w / 2.0, h));
        speedChart.draw(g, new Rectangle2D.Double(w / 2.0, 0, w / 2.0, h));
        g.dispose();
        ImageIO.write(image, "png", png.toFile());
    }
}
