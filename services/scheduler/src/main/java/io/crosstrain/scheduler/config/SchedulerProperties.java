package io.crosstrain.scheduler.config;

import java.time.Duration;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * @param inventoryUrl    base URL of device-inventory's REST API
 * @param deviceWait      how long a submitted job may wait for its devices to be HEALTHY and calibrated
 * @param devicePoll      pause between two looks at the inventory while waiting
 * @param defaultVocab    vocabulary size assumed by the cost model when the spec leaves it to the corpus (0); the
 *                        workers derive the real one, so this only affects predicted speeds and WAN bytes
 * @param republishAfter  an unpublished plan or failure older than this is published again by the outbox sweep
 * @param publishTimeout  how long to wait for the broker to acknowledge a plan or command
 * @param cpuBudget       share of the emulating host's CPU that emulated compute may use; the rest is left to
 *                        Kafka, the relays and the services, so the CPU never decides the step time
 * @param minStep         shortest emulated balanced step: a round's real Kafka time is not scaled by the time
 *                        scale, so a floor on the step keeps it a small share of the step
 * @param rebalance       the closed loop: re-plan when measured speeds drift from the plan
 * @param quotas          devices the jobs of a tenant may hold together, by tenant
 * @param defaultQuota    the quota of tenants not listed (0 = unlimited)
 * @param elastic         whether a device that becomes HEALTHY may join a running job
 * @param orphanAfter     a running job whose plan is older than this, with no step metric for as long while its
 *                        devices send heartbeats, is orphaned: suspended and resumed from its latest checkpoint
 * @param heartbeatFresh  a device counts as up for the orphan rule when its last heartbeat is at most this old
 * @param orphanSteps     the orphan grace is at least this many predicted steps of the job's plan
 */
@ConfigurationProperties("crosstrain.scheduler")
public record SchedulerProperties(
        @DefaultValue("http://127.0.0.1:8081") String inventoryUrl,
        @DefaultValue("60s") Duration deviceWait,
        @DefaultValue("1s") Duration devicePoll,
        @DefaultValue("64") int defaultVocab,
        @DefaultValue("10s") Duration republishAfter,
        @DefaultValue("10s") Duration publishTimeout,
        @DefaultValue("0.25") double cpuBudget,
        @DefaultValue("4800ms") Duration minStep,
        @DefaultValue Rebalance rebalance,
        Map<String, Integer> quotas,
        @DefaultValue("0") int defaultQuota,
        @DefaultValue("true") boolean elastic,
        @DefaultValue("60s") Duration orphanAfter,
        @DefaultValue("15s") Duration heartbeatFresh,
        @DefaultValue("10") int orphanSteps) {

    public SchedulerProperties {
        quotas = quotas == null ? Map.of() : Map.copyOf(quotas);
    }

    /**
     * @param threshold   relative deviation of a device's measured speed from its planned one that counts
     * @param consecutive deviating steps in a row that trigger a re-plan
     * @param window      recent steps whose median is the new speed estimate
     * @param lead        the new plan takes over this many steps after the step that triggered it
     */
    public record Rebalance(@DefaultValue("true") boolean enabled, @DefaultValue("0.05") double threshold,
                            @DefaultValue("3") int consecutive, @DefaultValue("5") int window,
                            @DefaultValue("2") int lead) {
    }
}
