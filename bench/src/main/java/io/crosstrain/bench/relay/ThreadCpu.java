package io.crosstrain.bench.relay;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time of this JVM's threads, grouped by who they work for. Broker, relay, senders and receiver share one JVM
 * and the machine's cores, so CPU seconds per pass show where a pass's time goes even when other processes make
 * wall-clock rates noisy. What no Java thread accounts for (GC, JIT) is the process total minus the threads.
 */
public final class ThreadCpu {

    public static final String SENDERS = "senders";
    public static final String RECEIVER = "receiver";
    public static final String RELAY_LISTENERS = "relay listeners";
    public static final String RELAY_PRODUCER = "relay producer";
    public static final String BROKER = "broker+other";
    public static final String GC_JIT = "gc+jit";
    public static final List<String> GROUPS = List.of(SENDERS, RECEIVER, RELAY_LISTENERS, RELAY_PRODUCER, BROKER,
            GC_JIT);

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> startCpu = new HashMap<>();
    private long startProcess;

    /** Who a thread works for, by the names Kafka, Spring Kafka and the bench give their threads. */
    static String group(String name) {
        if (name.startsWith("bench-node-") || name.contains("| bench-node-")) {
            return SENDERS;
        }
        if (name.equals("main")) {
            return RECEIVER;
        }
        if (name.contains("KafkaListenerEndpointContainer") || name.contains("coordinator-heartbeat-thread | relay-")) {
            return RELAY_LISTENERS;
        }
        if (name.contains("| relay-")) {
            return RELAY_PRODUCER;
        }
        return BROKER;
    }

    public void start() {
        startCpu.clear();
        for (long id : threads.getAllThreadIds()) {
            startCpu.put(id, threads.getThreadCpuTime(id));
        }
        startProcess = processCpu();
    }

    /** CPU nanoseconds per group since {@link #start()}, in {@link #GROUPS} order. */
    public Map<String, Long> stop() {
        long process = processCpu() - startProcess;
        Map<String, Long> by = new LinkedHashMap<>();
        GROUPS.forEach(g -> by.put(g, 0L));
        long threadsTotal = 0;
        long[] ids = threads.getAllThreadIds();
        ThreadInfo[] infos = threads.getThreadInfo(ids);
        for (int i = 0; i < ids.length; i++) {
            long now = threads.getThreadCpuTime(ids[i]);
            if (now < 0 || infos[i] == null) {
                continue;
            }
            long used = now - startCpu.getOrDefault(ids[i], 0L);
            threadsTotal += used;
            by.merge(group(infos[i].getThreadName()), used, Long::sum);
        }
        // threads that ended during the pass are lost to the split, not to the total
        by.put(GC_JIT, Math.max(0, process - threadsTotal));
        return by;
    }

    private static long processCpu() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }
}
