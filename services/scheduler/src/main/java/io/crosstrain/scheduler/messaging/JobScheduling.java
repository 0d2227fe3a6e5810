package io.crosstrain.scheduler.messaging;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import io.crosstrain.contracts.JobEvent;
import io.crosstrain.contracts.JobSpec;
import io.crosstrain.scheduler.client.InventoryClient;
import io.crosstrain.scheduler.config.SchedulerProperties;
import io.crosstrain.scheduler.domain.DeviceSelection;
import io.crosstrain.scheduler.domain.InventoryDevice;
import io.crosstrain.scheduler.domain.PlanAssembler;
import io.crosstrain.scheduler.domain.SchedulingDecision;
import io.crosstrain.scheduler.persistence.SchedulerStore;

/**
 * Handles one SUBMITTED event: waits (bounded) for the job's devices, asks the planner, stores the decision together
 * with the event id, then publishes it. Runs on the listener thread; with {@code max.poll.records = 1} a wait of a
 * minute stays far below the consumer's poll interval.
 */
@Component
class JobScheduling {

    private static final Logger log = LoggerFactory.getLogger(JobScheduling.class);

    private final InventoryClient inventory;
    private final PlanAssembler assembler;
    private final SchedulerStore store;
    private final DecisionPublisher publisher;
    private final SchedulerProperties props;

    JobScheduling(InventoryClient inventory, PlanAssembler assembler, SchedulerStore store,
                  DecisionPublisher publisher, SchedulerProperties props) {
        this.inventory = inventory;
        this.assembler = assembler;
        this.store = store;
        this.publisher = publisher;
        this.props = props;
    }

    void onSubmitted(JobEvent event) {
        UUID jobId = event.jobId();
        if (store.isProcessed(event.eventId())) {
            log.info("job event {} of job {} was already handled; skipping", event.eventId(), jobId);
            return;
        }
        if (store.hasDecision(jobId)) {
            log.info("job {} already has a plan or failure; event {} changes nothing", jobId, event.eventId());
            store.markProcessed(event.eventId(), jobId);
            return;
        }
        SchedulingDecision decision = decide(jobId, event.spec());
        if (decision instanceof SchedulingDecision.Planned planned) {
            if (store.recordPlan(event.eventId(), planned.plan())) {
                publisher.publishPlan(planned.plan());
            }
        } else if (decision instanceof SchedulingDecision.Rejected rejected) {
            log.warn("cannot schedule job {}: {}", jobId, rejected.reason());
            if (store.recordFailure(event.eventId(), jobId, rejected.reason())) {
                publisher.publishFailure(jobId, rejected.reason());
            }
        }
    }

    private SchedulingDecision decide(UUID jobId, JobSpec spec) {
        String invalid = assembler.problemWith(spec);
        if (invalid != null) {
            return new SchedulingDecision.Rejected(jobId, invalid); // no point waiting for devices
        }
        DeviceWait wait = awaitDevices(spec.devices());
        if (wait.selection() == null || !wait.selection().acceptableAtDeadline()) {
            String why = wait.selection() == null ? wait.inventoryError() : wait.selection().describeProblems();
            return new SchedulingDecision.Rejected(jobId,
                    "devices not ready after " + seconds(props.deviceWait()) + ": " + why);
        }
        return assembler.assemble(jobId, spec, wait.selection().usable());
    }

    private record DeviceWait(DeviceSelection selection, String inventoryError) {
    }

    /** Polls the inventory until the selection is complete or the wait is over. */
    private DeviceWait awaitDevices(List<String> requested) {
        long deadline = System.nanoTime() + props.deviceWait().toNanos();
        DeviceSelection last = null;
        String lastError = null;
        while (true) {
            try {
                List<InventoryDevice> devices = inventory.devices();
                last = DeviceSelection.of(requested, devices);
                lastError = null;
                if (last.complete()) {
                    return new DeviceWait(last, null);
                }
            } catch (InventoryClient.InventoryUnavailableException e) {
                lastError = e.getMessage();
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                // a fresh inventory error outranks an older selection: the devices' state is then unknown
                return lastError != null ? new DeviceWait(null, lastError) : new DeviceWait(last, null);
            }
            sleep(Math.min(left, props.devicePoll().toNanos()));
        }
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(Duration.ofNanos(nanos).toMillis(), (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for devices", e);
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
