package io.crosstrain.bench.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ThreadCpuTest {

    @Test
    void hotSpotsCompilerAndCollectorThreadsAreToldApart() {
        assertThat(ThreadCpu.vmGroup("C2 CompilerThre")).isEqualTo(ThreadCpu.JIT);
        assertThat(ThreadCpu.vmGroup("C1 CompilerThre")).isEqualTo(ThreadCpu.JIT);
        assertThat(ThreadCpu.vmGroup("GC Thread#1")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.vmGroup("G1 Conc#0")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.vmGroup("G1 Refine#0")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.vmGroup("VM Thread")).isEqualTo(ThreadCpu.GC);
        assertThat(ThreadCpu.vmGroup("data-plane-kafka-request-handler-0")).isNull();
        assertThat(ThreadCpu.vmGroup("main")).isNull();
    }

    @Test
    void aPassSplitsTheProcessCpuIntoEveryGroupWithTheCompilerReadFromProc() {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/task")), "Linux only");
        ThreadCpu cpu = new ThreadCpu();
        cpu.start();
        long sum = 0;
        for (int i = 0; i < 50_000_000; i++) { // enough work that the JIT has compiled something by now
            sum += Long.hashCode(sum * 31 + i);
        }
        Map<String, Long> split = cpu.stop();

        assertThat(split).containsOnlyKeys(ThreadCpu.GROUPS);
        assertThat(split.get(ThreadCpu.RECEIVER)).as("the main thread did the work (%d)", sum).isPositive();
        assertThat(split.values()).allMatch(v -> v >= 0);
        assertThat(ThreadCpu.vmThreads().get(ThreadCpu.JIT)).as("compiler threads found in /proc").isPositive();
    }
}
