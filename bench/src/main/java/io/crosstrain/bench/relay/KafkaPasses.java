package io.crosstrain.bench.relay;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

import io.crosstrain.bench.relay.GradientWorkload.Up;
import io.crosstrain.contracts.Topics;
import io.crosstrain.kafka.ChunkTraffic;

/**
 * The two kinds of pass, on one broker, with the same senders and the same receiver settings:
 * <ul>
 * <li>raw: the senders produce to a fresh one-partition topic and a consumer reads the records back;</li>
 * <li>relay: the senders produce to grad-up of the bench datacenter, the relay aggregates and publishes the
 * averages to grad-down.</li>
 * </ul>
 * A raw pass's clock stops when its consumer has read the last record: produce + consume. A relay pass's clock stops
 * when grad-down holds every average (the broker acknowledged the relay's last send): produce + the relay's consume,
 * aggregation and publish. Reading the averages back is a worker's job, not the relay's, so a consumer reads and
 * checks them after the clock stopped; {@code timedReadback} puts that read inside the clock too.
 * Senders and receiver are configured as the gpu-worker's gradient producer and listener are. Each sender is a
 * producer of its own on a thread of its own, as each node is a process of its own.
 */
public final class KafkaPasses implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(20);
    /** After a relay pass completed, how long to keep listening for late copies (not timed). */
    private static final long LATE_COPIES_MILLIS = 300;
    /** How often a relay pass asks the broker how many averages grad-down holds. */
    private static final long LANDED_POLL_MILLIS = 10;

    private final String bootstrap;
    private final long timeoutMillis;
    private final List<KafkaProducer<String, byte[]>> senders = new ArrayList<>();
    private final KafkaProducer<String, String> json;
    private final Admin admin;
    private final ThreadCpu cpu = new ThreadCpu();
    private int rawTopics;

    public KafkaPasses(String bootstrap, int senders, long timeoutMillis) {
        this.bootstrap = bootstrap;
        this.timeoutMillis = timeoutMillis;
        for (int s = 0; s < senders; s++) {
            this.senders.add(new KafkaProducer<>(senderConfig(bootstrap, "bench-" + GradientWorkload.sender(s)),
                    new StringSerializer(), new ByteArraySerializer()));
        }
        this.json = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    /** As the gpu-worker's gradient template (WorkerKafkaConfig). */
    static Map<String, Object> senderConfig(String bootstrap, String clientId) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return ChunkTraffic.producer(c);
    }

    /** As the gpu-worker's gradient listener (WorkerKafkaConfig), without a group: the receiver assigns itself. */
    static Map<String, Object> receiverConfig(String bootstrap) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return ChunkTraffic.consumer(c, 5);
    }

    public void publishJson(String topic, String key, String value) throws Exception {
        json.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** Raw Kafka: the same records to a fresh topic of grad-up's partition count, read back by one consumer. */
    public PassTiming raw(List<List<Up>> bySender, boolean warmup) throws Exception {
        String topic = "bench.raw-" + (++rawTopics);
        int partitions = Topics.partitions(Topics.gradUp(GradientWorkload.DATACENTER));
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        int total = bySender.stream().mapToInt(List::size).sum();
        long bytes = bytes(bySender);
        Set<String> keys = new HashSet<>();
        long[] got = new long[2];
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            tps.add(new TopicPartition(topic, p));
        }
        PassTiming t = pass(PassTiming.RAW, warmup, topic, bySender, tps, true, 0, r -> {
            keys.add(r.key());
            got[0]++;
            got[1] += r.value().remaining();
            return got[0] >= total;
        }, () -> got[0] + " of " + total + " records");
        if (keys.size() != total || got[0] != total || got[1] != bytes) {
            throw new IllegalStateException("raw pass read " + got[0] + " records (" + keys.size()
                    + " distinct), " + got[1] + " bytes; sent " + total + " records, " + bytes + " bytes");
        }
        // the topic stays until the broker stops: deleting its files would load the next passes
        return t;
    }

    /** Through the relay: grad-up of the bench datacenter in, averages read from its grad-down. */
    public PassTiming relay(List<List<Up>> bySender, DownCheck check, boolean warmup, boolean timedReadback)
            throws Exception {
        String down = Topics.gradDown(GradientWorkload.DATACENTER);
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < Topics.partitions(down); p++) {
            tps.add(new TopicPartition(down, p));
        }
        return pass(PassTiming.RELAY, warmup, Topics.gradUp(GradientWorkload.DATACENTER), bySender, tps, false,
                timedReadback ? 0 : check.expectedRecords(), r -> check.offer(r.key(), Utils.toArray(r.value())),
                () -> check.receivedRecords() + " records, " + check.expectedRecords() + " chunks expected");
    }

    interface Receiver {
        /** true once everything expected has arrived */
        boolean take(ConsumerRecord<String, ByteBuffer> r);
    }

    interface Progress {
        String describe();
    }

    /**
     * @param landed 0: the clock stops when the receiver has everything; else when the receive partitions hold this
     *               many records more than at the start, and the receiver reads them after the clock stopped
     */
    private PassTiming pass(String kind, boolean warmup, String upTopic, List<List<Up>> bySender,
                            List<TopicPartition> receive, boolean fromBeginning, int landed, Receiver receiver,
                            Progress progress) throws Exception {
        if (bySender.size() != senders.size()) {
            throw new IllegalArgumentException(bySender.size() + " record lists for " + senders.size() + " senders");
        }
        for (KafkaProducer<String, byte[]> p : senders) {
            p.partitionsFor(upTopic); // metadata before the clock starts, for both kinds alike
        }
        // values as slices of the fetched data: the raw pass moves the bytes without copying them, as the relay reads
        try (KafkaConsumer<String, ByteBuffer> consumer = new KafkaConsumer<>(receiverConfig(bootstrap),
                new StringDeserializer(), new ByteBufferDeserializer());
             Gang gang = new Gang(upTopic, bySender)) {
            consumer.assign(receive);
            if (fromBeginning) {
                consumer.seekToBeginning(receive);
            } else {
                consumer.seekToEnd(receive);
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            Map<TopicPartition, Long> startAt = new HashMap<>();
            for (TopicPartition tp : receive) {
                startAt.put(tp, consumer.position(tp));
                latest.put(tp, OffsetSpec.latest());
            }

            cpu.start();
            long jit0 = jitMillis();
            long t0 = System.nanoTime();
            gang.go.countDown();
            long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            long end = 0;
            while (end == 0) {
                if (landed > 0) {
                    if (landed(latest, startAt) >= landed) {
                        end = System.nanoTime();
                    } else {
                        Thread.sleep(LANDED_POLL_MILLIS);
                    }
                } else {
                    for (ConsumerRecord<String, ByteBuffer> r : consumer.poll(POLL)) {
                        if (receiver.take(r) && end == 0) {
                            end = System.nanoTime();
                        }
                    }
                }
                gang.check(kind);
                if (end == 0 && System.nanoTime() > deadline) {
                    throw new IllegalStateException(kind + " pass did not complete within " + timeoutMillis
                            + " ms: " + progress.describe());
                }
            }
            if (!gang.acked.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(kind + " pass: the senders' last records were never acknowledged");
            }
            Map<String, Long> cpuNanos = cpu.stop();
            long jit = jit0 < 0 ? -1 : jitMillis() - jit0;
            gang.check(kind);
            boolean read = landed == 0; // else the receiver has not seen a record yet
            long readDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (!read) { // untimed read-back of what landed
                for (ConsumerRecord<String, ByteBuffer> r : consumer.poll(POLL)) {
                    read |= receiver.take(r);
                }
                if (!read && System.nanoTime() > readDeadline) {
                    throw new IllegalStateException(kind + " pass: what landed was not read back within "
                            + timeoutMillis + " ms: " + progress.describe());
                }
            }
            if (!fromBeginning) {
                // anything sent twice would most likely come right behind: keep it for the check
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LATE_COPIES_MILLIS);
                while (System.nanoTime() < until) {
                    for (ConsumerRecord<String, ByteBuffer> r : consumer.poll(POLL)) {
                        receiver.take(r);
                    }
                }
            }
            return new PassTiming(kind, warmup, bytes(bySender), gang.lastAcked.get() - t0, end - t0, cpuNanos,
                    jit);
        }
    }

    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /** Records the partitions hold beyond {@code startAt}: their end offsets, as the broker acknowledged them. */
    private long landed(Map<TopicPartition, OffsetSpec> latest, Map<TopicPartition, Long> startAt) throws Exception {
        long n = 0;
        for (var e : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet()) {
            n += e.getValue().offset() - startAt.get(e.getKey());
        }
        return n;
    }

    /** One thread per sender, each sending its records once {@link #go} opens and waiting for their acks. */
    private final class Gang implements AutoCloseable {
        final CountDownLatch go = new CountDownLatch(1);
        final CountDownLatch acked = new CountDownLatch(senders.size());
        /** Threads stay alive until the CPU split is taken: a thread that ended takes its CPU time with it. */
        final CountDownLatch measured = new CountDownLatch(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final AtomicLong lastAcked = new AtomicLong();
        final List<Thread> threads = new ArrayList<>();

        Gang(String topic, List<List<Up>> bySender) {
            for (int s = 0; s < senders.size(); s++) {
                KafkaProducer<String, byte[]> producer = senders.get(s);
                List<Up> records = bySender.get(s);
                Thread t = new Thread(() -> send(producer, topic, records), "bench-" + GradientWorkload.sender(s));
                t.setDaemon(true);
                t.start();
                threads.add(t);
            }
        }

        private void send(KafkaProducer<String, byte[]> producer, String topic, List<Up> records) {
            try {
                go.await();
                for (Up u : records) {
                    producer.send(new ProducerRecord<>(topic, u.key(), u.value()), (meta, ex) -> {
                        if (ex != null) {
                            failure.compareAndSet(null, ex);
                        }
                    });
                }
                producer.flush();
                lastAcked.accumulateAndGet(System.nanoTime(), Math::max);
                acked.countDown();
                measured.await();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        }

        void check(String kind) {
            if (failure.get() != null) {
                throw new IllegalStateException(kind + " pass: a send failed", failure.get());
            }
        }

        @Override
        public void close() throws InterruptedException {
            go.countDown();
            measured.countDown();
            for (Thread t : threads) {
                t.join(timeoutMillis);
            }
        }
    }

    static long bytes(List<List<Up>> bySender) {
        long b = 0;
        for (List<Up> records : bySender) {
            for (Up u : records) {
                b += u.value().length;
            }
        }
        return b;
    }

    @Override
    public void close() {
        senders.forEach(KafkaProducer::close);
        json.close();
        admin.close();
    }
}
