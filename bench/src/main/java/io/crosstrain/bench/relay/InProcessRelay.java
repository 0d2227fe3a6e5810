package io.crosstrain.bench.relay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.UUID;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import io.crosstrain.relay.GradientRelayApplication;
import io.crosstrain.relay.messaging.RelayMetrics;
import io.crosstrain.relay.messaging.RelayStages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

/** The real gradient-relay service (its Spring Boot application, unchanged) started in this JVM. */
public final class InProcessRelay implements AutoCloseable {

    private final ConfigurableApplicationContext context;
    private final Counter deliveredDown;

    private InProcessRelay(ConfigurableApplicationContext context) {
        this.context = context;
        this.deliveredDown = context.getBean(MeterRegistry.class).counter(RelayMetrics.DELIVERED, "to", "down");
    }

    /**
     * @param extraArgs further {@code --name=value} arguments; they come last, so they override the defaults here
     */
    public static InProcessRelay start(String bootstrap, String datacenter, List<String> extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                // the bench jar also holds the gpu-worker's application.yml: load the relay's own, and only it
                "--spring.config.location=" + relayConfig(),
                "--crosstrain.relay.datacenter=" + datacenter,
                "--spring.kafka.bootstrap-servers=" + bootstrap,
                "--server.port=0",
                "--spring.main.banner-mode=off",
                "--logging.level.root=WARN",
                "--logging.level.org.apache.kafka=ERROR",
                "--logging.level.kafka=ERROR",
                // the bench's class path holds the workers' web support, which will not start without keys
                "--crosstrain.service-auth.keys=" + io.crosstrain.auth.ServiceKeys.generate()));
        args.addAll(extraArgs);
        return new InProcessRelay(new SpringApplicationBuilder(GradientRelayApplication.class)
                .run(args.toArray(String[]::new)));
    }

    /** The application.yml that sits next to the relay's classes (in its jar, or its classes directory). */
    static String relayConfig() {
        URL home = GradientRelayApplication.class.getProtectionDomain().getCodeSource().getLocation();
        String base = home.toString();
        if (base.endsWith("!/")) {
            base = base.substring(0, base.length() - 2);
        }
        try {
            Enumeration<URL> all = GradientRelayApplication.class.getClassLoader().getResources("application.yml");
            while (all.hasMoreElements()) {
                String url = all.nextElement().toString();
                if (url.contains(base)) {
                    return url;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no application.yml of the gradient relay next to " + home);
    }

    public JsonMapper json() {
        return context.getBean(JsonMapper.class);
    }

    public RelayStages stages() {
        return context.getBean(RelayStages.class);
    }

    public String property(String name) {
        return context.getEnvironment().getProperty(name);
    }

    /** A relay counter ({@code RelayMetrics}), by stage tag. */
    public double counter(String name, String stage) {
        return context.getBean(MeterRegistry.class).counter(name, "stage", stage).count();
    }

    /** Averages the broker has acknowledged to the relay so far ({@code relay.chunks.delivered{to=down}}). */
    public long deliveredDown() {
        return (long) deliveredDown.count();
    }

    /** Waits until both stages work under plan {@code version} of the job. */
    public void awaitPlan(UUID job, int version, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        RelayStages stages = stages();
        while (stages.intraDc().planVersion(job) < version || stages.crossDc().planVersion(job) < version) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("the relay did not take plan version " + version + " of job " + job
                        + " within " + timeoutMillis + " ms");
            }
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
