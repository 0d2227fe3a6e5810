package io.crosstrain.bench.wan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the runs into the table's rows. WAN bytes count every exchange as each of the D datacenters sending its
 * tensor to the D − 1 others: {@code D·(D−1)·payloadBytes} per exchange, one exchange per step for sync DP and one
 * per outer round for DiLoCo, all at sync DP's sample count. Times to the target are emulated: the first validation
 * at or below the target, at the end of that step or round including its WAN exchange.
 */
public final class WanReport {

    /** One row of the table (boxed: absent values are null in the JSON). */
    public record Row(String strategy, Integer h, String codec, Long wanBytes, Double reductionVsSyncDp,
            Double finalLoss, Double lossGapPct, Double timeToTargetSeconds, Double timeToTargetSpeedup,
            Long samplesToTarget, Double samplesToTargetVsSyncDp, Long exchanges, Long samplesRun, Double lastLoss,
            Double innerLr, Double outerLr, Double outerMomentum) {
    }

    private WanReport() {
    }

    /** Bytes on the WAN for {@code exchanges} all-to-all exchanges of a {@code payload}-byte tensor. */
    public static long wanBytes(int datacenters, long payload, long exchanges) {
        return (long) datacenters * (datacenters - 1) * payload * exchanges;
    }

    /** The first point at or below {@code target}, or null. */
    public static EvalPoint firstAtOrBelow(List<EvalPoint> curve, double target) {
        for (EvalPoint p : curve) {
            if (p.loss() <= target) {
                return p;
            }
        }
        return null;
    }

    public static List<Row> rows(SyncDpRun.Result sync, List<DiLoCoRun.Result> diloco, int datacenters,
            int parameters, double stepSeconds) {
        double target = sync.finalLoss();
        long syncBytes = wanBytes(datacenters, DeltaCodec.FP32.wireBytes(parameters), sync.exchanges());
        EvalPoint syncHit = firstAtOrBelow(sync.curve(), target);
        double syncTime = syncHit.timeUnits() * stepSeconds;
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("sync-dp", null, "fp32", syncBytes, 1.0, target, 0.0, syncTime, 1.0, syncHit.samples(), 1.0,
                sync.exchanges(), sync.samples(), target, sync.inner().lr(), null, null));
        for (DiLoCoRun.Result r : diloco) {
            EvalPoint eq = r.equalSamples();
            long bytes = wanBytes(datacenters, r.payloadBytes(), eq.exchanges());
            EvalPoint hit = firstAtOrBelow(r.curve(), target);
            Double time = hit == null ? null : hit.timeUnits() * stepSeconds;
            EvalPoint last = r.curve().get(r.curve().size() - 1);
            rows.add(new Row("diloco", r.config().h(), r.config().codec().name(), bytes, syncBytes / (double) bytes,
                    eq.loss(), gapPct(eq.loss(), target), time, time == null ? null : syncTime / time,
                    hit == null ? null : hit.samples(), hit == null ? null : hit.samples() / (double) syncHit.samples(),
                    eq.exchanges(), last.samples(), last.loss(), r.config().inner().lr(), r.config().outerLr(),
                    r.config().outerMomentum()));
        }
        return rows;
    }

    public static double gapPct(double loss, double target) {
        return 100 * (loss - target) / target;
    }

    public static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "  %-8s %4s %-6s %-16s %14s %10s %10s %8s %14s %8s %10s%n",
                "strategy", "H", "codec", "lr in/out/mom", "WAN bytes", "reduction", "val loss", "gap",
                "t->target (s)", "speedup", "samples x"));
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "  %-8s %4s %-6s %-16s %,14d %9.0fx %10.4f %+7.2f%% %14s %8s %10s%n",
                    r.strategy(), r.h() == null ? "-" : r.h().toString(), r.codec(),
                    r.outerLr() == null ? String.valueOf(r.innerLr())
                            : r.innerLr() + "/" + r.outerLr() + "/" + r.outerMomentum(), r.wanBytes(),
                    r.reductionVsSyncDp(), r.finalLoss(), r.lossGapPct(),
                    r.timeToTargetSeconds() == null ? "never" : String.format(Locale.ROOT, "%.1f",
                            r.timeToTargetSeconds()),
                    r.timeToTargetSpeedup() == null ? "-" : String.format(Locale.ROOT, "%.2fx",
                            r.timeToTargetSpeedup()),
                    r.samplesToTargetVsSyncDp() == null ? "-" : String.format(Locale.ROOT, "%.2f",
                            r.samplesToTargetVsSyncDp())));
        }
        return sb.toString();
    }

    /** A row as an ordered map, the JSON object of {@code rows[]}. */
    public static Map<String, Object> json(Row r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("strategy", r.strategy());
        m.put("h", r.h());
        m.put("codec", r.codec());
        m.put("wanBytes", r.wanBytes());
        m.put("reductionVsSyncDp", r.reductionVsSyncDp());
        m.put("finalLoss", r.finalLoss());
        m.put("lossGapPct", r.lossGapPct());
        m.put("timeToTargetSeconds", r.timeToTargetSeconds());
        m.put("timeToTargetSpeedup", r.timeToTargetSpeedup());
        m.put("samplesToTarget", r.samplesToTarget());
        m.put("samplesToTargetVsSyncDp", r.samplesToTargetVsSyncDp());
        m.put("exchangesAtEqualSamples", r.exchanges());
        m.put("samplesRun", r.samplesRun());
        m.put("lastLoss", r.lastLoss());
        m.put("innerLr", r.innerLr());
        m.put("outerLr", r.outerLr());
        m.put("outerMomentum", r.outerMomentum());
        return m;
    }
}
