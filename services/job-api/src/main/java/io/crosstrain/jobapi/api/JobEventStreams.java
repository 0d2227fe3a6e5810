package io.crosstrain.jobapi.api;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import io.crosstrain.jobapi.domain.Caller;
import io.crosstrain.jobapi.domain.HistoryEntry;
import io.crosstrain.jobapi.domain.Job;
import io.crosstrain.jobapi.domain.JobService;

/**
 * Server-Sent Events of one job: each state change as a {@code state} event (from the recorded history, so none is
 * missed between two looks), progress as {@code progress} events, and a final {@code end} when the job reaches a
 * terminal state. Polls the database rather than Kafka so every job-api replica can serve any stream.
 */
@Component
class JobEventStreams {

    private static final Logger log = LoggerFactory.getLogger(JobEventStreams.class);
    static final Duration POLL = Duration.ofMillis(500);
    static final Duration MAX_STREAM = Duration.ofHours(2);
    static final int MAX_STREAMS = 200;

    private final JobService jobs;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "job-event-streams");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger open = new AtomicInteger();

    JobEventStreams(JobService jobs) {
        this.jobs = jobs;
    }

    /** The caller's access was checked by the controller; a job that vanishes ends the stream. */
    SseEmitter open(UUID id, Caller caller) {
        if (open.incrementAndGet() > MAX_STREAMS) {
            open.decrementAndGet();
            throw io.crosstrain.web.RequestRejectedException.conflict("events",
                    "too many open event streams on this job-api; poll GET /api/v1/jobs/" + id + " instead");
        }
        SseEmitter emitter = new SseEmitter(MAX_STREAM.toMillis());
        AtomicInteger historySent = new AtomicInteger();
        AtomicReference<String> lastProgress = new AtomicReference<>();
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        Runnable stop = () -> {
            ScheduledFuture<?> f = task.get();
            if (f != null && f.cancel(false)) {
                open.decrementAndGet();
            }
        };
        emitter.onCompletion(stop);
        emitter.onTimeout(stop);
        emitter.onError(e -> stop.run());
        task.set(poller.scheduleWithFixedDelay(() -> {
            try {
                Job job = jobs.get(id, caller);
                List<HistoryEntry> history = jobs.history(id, caller);
                for (int i = historySent.get(); i < history.size(); i++) {
                    emitter.send(SseEmitter.event().name("state").id(Integer.toString(i + 1)).data(history.get(i)));
                }
                historySent.set(history.size());
                String progress = job.state() + ":" + job.step();
                if (!progress.equals(lastProgress.getAndSet(progress))) {
                    emitter.send(SseEmitter.event().name("progress").data(JobView.of(job)));
                }
                if (job.state().terminal()) {
                    emitter.send(SseEmitter.event().name("end").data(JobView.of(job)));
                    stop.run();
                    emitter.complete();
                }
            } catch (IOException | IllegalStateException e) {
                stop.run(); // the client went away
            } catch (RuntimeException e) {
                log.warn("event stream of job {} ended: {}", id, e.toString());
                stop.run();
                emitter.completeWithError(e);
            }
        }, 0, POLL.toMillis(), TimeUnit.MILLISECONDS));
        return emitter;
    }

    @PreDestroy
    void close() {
        poller.shutdownNow();
    }
}
