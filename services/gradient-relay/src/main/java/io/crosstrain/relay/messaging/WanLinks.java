package io.crosstrain.relay.messaging;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.crosstrain.contracts.Plan;
import io.crosstrain.relay.domain.AdaptiveDeadline;
import io.crosstrain.relay.domain.RoundAggregator;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;

/**
 * The WAN links of this relay's datacenter: a Resilience4j circuit breaker per inbound link, a retry on the outbound
 * hand-over.
 * <ul>
 * <li>The breaker of link {@code peer→dc} counts the peer's partials that missed their adaptive deadline as
 * failures. A late partial is still waited for and summed (relays must all sum the same partials, so none may drop
 * one on its own); an open breaker marks the link degraded in metrics, logs and health so an operator or the
 * scheduler can react (a larger H, a re-plan).</li>
 * <li>The outbound retry guards handing this datacenter's partial to the WAN topic (one hand-over serves every
 * peer): a failed send is tried again with backoff before the relay gives up on it (the consumer offset is not
 * committed past it, so a restarted relay sends it again).</li>
 * </ul>
 * WAN transfer time is emulated from the plan's links and time scale (ARCHITECTURE.md §6).
 */
public final class WanLinks implements RoundAggregator.LatenessJudge, RoundAggregator.WanDelay {

    private static final Logger log = LoggerFactory.getLogger(WanLinks.class);

    private final String datacenter;
    private final AdaptiveDeadline deadlines;
    private final CircuitBreakerRegistry breakers;
    private final Retry retry;
    private final Map<String, Boolean> warned = new ConcurrentHashMap<>();

    public WanLinks(String datacenter, AdaptiveDeadline deadlines) {
        this.datacenter = datacenter;
        this.deadlines = deadlines;
        this.breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(10)
                .minimumNumberOfCalls(5)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(30))
                .permittedNumberOfCallsInHalfOpenState(3)
                .build());
        this.retry = Retry.of("wan-" + datacenter + "-out", RetryConfig.custom()
                .maxAttempts(5)
                .intervalFunction(io.github.resilience4j.core.IntervalFunction.ofExponentialBackoff(200, 2.0))
                .build());
    }

    /** Inbound link from {@code peer}: its breaker. */
    public CircuitBreaker breaker(String peer) {
        return breakers.circuitBreaker("wan-" + peer + "->" + datacenter);
    }

    /**
     * The outbound link: the partial is handed to the WAN topic once, whatever the number of peers, so one retry
     * guards it.
     */
    public Retry uplinkRetry() {
        return retry;
    }

    @Override
    public boolean late(String sender, long waitedMs) {
        boolean late = deadlines.observe(sender, waitedMs);
        if (sender.equals(datacenter)) {
            return late; // our own partial crosses no WAN link
        }
        CircuitBreaker cb = breaker(sender);
        if (late) {
            cb.onError(waitedMs, java.util.concurrent.TimeUnit.MILLISECONDS,
                    new java.util.concurrent.TimeoutException("partial of " + sender + " " + waitedMs
                            + " ms after the round opened, deadline " + deadlines.deadlineMs(sender) + " ms"));
        } else {
            cb.onSuccess(waitedMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
        if (cb.getState() == CircuitBreaker.State.OPEN && warned.putIfAbsent(sender, Boolean.TRUE) == null) {
            log.warn("WAN link {}->{} degraded: most of its recent partials missed their deadline", sender,
                    datacenter);
        } else if (cb.getState() == CircuitBreaker.State.CLOSED) {
            warned.remove(sender);
        }
        return late;
    }

    @Override
    public long millis(Plan plan, String fromDatacenter, String toDatacenter, long bytes) {
        Double k = plan.timeScale();
        if (k == null || k <= 0) {
            return 0;
        }
        return plan.link(fromDatacenter, toDatacenter)
                .map(l -> Math.round(l.transferSeconds(bytes) / k * 1000.0))
                .orElse(0L);
    }
}
