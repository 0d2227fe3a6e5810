package io.crosstrain.bench.relay;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time of this JVM's threads, grouped by who they work for. Broker, relay, senders and receiver share one JVM
 * and the machine's cores, so CPU seconds per pass show where a pass's time goes even when other processes make
 * wall-clock rates noisy. The JIT compiler and GC threads are read from /proc (Linux); what no thread accounts for
 * is the process total minus the threads.
 */
public final class ThreadCpu {

    public static final String SENDERS = "senders";
    public static final String RECEIVER = "receiver";
    public static final String RELAY_LISTENERS = "relay listeners";
    public static final String RELAY_PRODUCER = "relay producer";
    public static final String BROKER = "broker+other";
    /** The JIT compiler threads (read from /proc on Linux). */
    public static final String JIT = "jit";
    /** The garbage collector's threads (read from /proc on Linux). */
    public static final String GC = "gc";
    /** What no thread above accounts for: the whole JIT and GC where /proc cannot be read, else the rest. */
    public static final String JVM_OTHER = "jvm other";
    public static final List<String> GROUPS = List.of(SENDERS, RECEIVER, RELAY_LISTENERS, RELAY_PRODUCER, BROKER,
            JIT, GC, JVM_OTHER);
    private static final Path TASKS = Path.of("/proc/self/task");

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> startCpu = new HashMap<>();
    private long startProcess;
    private Map<String, Long> startVm = Map.of();

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
        startVm = vmThreads();
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
        Map<String, Long> vm = vmThreads();
        long vmTotal = 0;
        for (String g : List.of(JIT, GC)) {
            long used = Math.max(0, vm.getOrDefault(g, 0L) - startVm.getOrDefault(g, 0L));
            by.put(g, used);
            vmTotal += used;
        }
        // threads that ended during the pass are lost to the split, not to the total
        by.put(JVM_OTHER, Math.max(0, process - threadsTotal - vmTotal));
        return by;
    }

    /**
     * CPU nanoseconds so far of the JVM's own compiler and collector threads, which Java's thread list leaves out:
     * by their names in /proc/self/task (Linux), from schedstat's time on the CPU. Empty elsewhere.
     */
    static Map<String, Long> vmThreads() {
        Map<String, Long> by = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String group = vmGroup(Files.readString(task.resolve("comm")).strip());
                    if (group != null) {
                        String schedstat = Files.readString(task.resolve("schedstat")).strip();
                        by.merge(group, Long.parseLong(schedstat.substring(0, schedstat.indexOf(' '))), Long::sum);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended while being read
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return by;
    }

    /** {@link #JIT} or {@link #GC} for HotSpot's thread names, else null. */
    static String vmGroup(String name) {
        if (name.contains("CompilerThre")) {
            return JIT;
        }
        if (name.startsWith("GC Thread") || name.startsWith("G1 ") || name.equals("VM Thread")) {
            return GC;
        }
        return null;
    }

    private static long processCpu() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return 0;
    }
}
