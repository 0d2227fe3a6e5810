package io.crosstrain.bench.relay;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Fetch and produce figures of every Kafka client in this JVM, read from the clients' JMX metrics: how many records
 * a fetch or a produce request carried tells whether a client moves its bytes in few large or many small requests.
 */
public final class ClientMetrics {

    private static final String[] CONSUMER = {"fetch-total", "fetch-size-avg", "records-per-request-avg",
            "fetch-latency-avg"};
    private static final String[] PRODUCER = {"request-total", "records-per-request-avg", "batch-size-avg",
            "request-latency-avg", "record-queue-time-avg"};

    private ClientMetrics() {
    }

    /** One line per client: its figures over the whole run. */
    public static List<String> describe() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        List<String> out = new ArrayList<>();
        try {
            Set<ObjectName> consumers = new TreeSet<>(server.queryNames(
                    new ObjectName("kafka.consumer:type=consumer-fetch-manager-metrics,client-id=*"), null));
            for (ObjectName n : consumers) {
                out.add(line("consumer", n, server, CONSUMER));
            }
            Set<ObjectName> producers = new TreeSet<>(server.queryNames(
                    new ObjectName("kafka.producer:type=producer-metrics,client-id=*"), null));
            for (ObjectName n : producers) {
                out.add(line("producer", n, server, PRODUCER));
            }
        } catch (Exception e) {
            out.add("client metrics unavailable: " + e);
        }
        return out;
    }

    private static String line(String kind, ObjectName n, MBeanServer server, String[] attributes) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-8s %-34s", kind,
                n.getKeyProperty("client-id")));
        for (String a : attributes) {
            Object v;
            try {
                v = server.getAttribute(n, a);
            } catch (Exception e) {
                v = null;
            }
            b.append(' ').append(a).append('=').append(v instanceof Number num
                    ? String.format(Locale.ROOT, "%.1f", num.doubleValue()) : "-");
        }
        return b.toString();
    }
}
