package io.crosstrain.scheduler.api;

import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import io.crosstrain.scheduler.persistence.SchedulerStore;
import io.crosstrain.auth.CallerScope;

/** The jobs waiting for devices, in the order they will be considered, each with the reason it still waits. */
@RestController
@Tag(name = "queue", description = "The admission queue")
class QueueController {

    record QueuedJobView(int position, UUID jobId, String name, String tenant, int priority, Instant submittedAt,
                         String reason) {
    }

    private final SchedulerStore store;

    QueueController(SchedulerStore store) {
        this.store = store;
    }

    @Operation(summary = "List queued jobs and why each waits")
    @GetMapping("/api/v1/queue")
    List<QueuedJobView> queue(
            CallerScope caller) {
        List<QueuedJobView> out = new ArrayList<>();
        int position = 0;
        for (SchedulerStore.QueueEntry e : store.waiting()) {
            position++;
            // a tenant sees its own entries at their places in the one queue, not the others'
            if (caller.sees(e.tenant())) {
                out.add(new QueuedJobView(position, e.jobId(), e.spec().name(), e.tenant(), e.priority(),
                        e.submittedAt(), e.reason()));
            }
        }
        return out;
    }
}
