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
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

import io.crosstrain.bench.relay.GradientWorkload.Up;
import io.crosstrain.codec.TensorCodec;
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
 * when grad-down holds every average (the broker acknowledged the relay's last send, which the bench learns from the
 * relay's own counter in memory, so watching costs the broker nothing): produce + the relay's consume, aggregation
 * and publish. Reading the averages back is a worker's job, not the relay's, so a consumer reads and checks them
 * after the clock stopped; {@code timedReadback} puts that read inside the clock too.
 * Senders and receiver are configured as the gpu-worker's gradient producer and listener are, and both readers take
 * the records as slices of Kafka's fetch buffers and check each chunk's CRC32C there, as every reader of chunk
 * traffic does (Kafka's own CRC check is off for it, {@link ChunkTraffic}). Each sender is a producer of its own on a
 * thread of its own, as each node is a process of its own. After each pass its records are dropped from the broker
 * ({@link #BROKER}).
 */
public final class KafkaPasses implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(20);
    /** After a pass completed, how long to keep listening for late copies (not timed). */
    private static final long LATE_COPIES_MILLIS = 300;
    /** How often a relay pass looks at the relay's count of acknowledged averages (in memory: no broker request). */
    private static final long LANDED_POLL_NANOS = 2_000_000;

    /** The raw passes' topic, with grad-up's partition count; every raw pass reads from where the last one ended. */
    static final String RAW_TOPIC = "bench.raw";
    private static final String UP_TOPIC = Topics.gradUp(GradientWorkload.DATACENTER);
    private static final String DOWN_TOPIC = Topics.gradDown(GradientWorkload.DATACENTER);

    /**
     * Broker settings that let a pass's log go once the pass is over: 128 MiB segments, retention checked every
     * 100 ms, deleted files removed at once. The bench drops each pass's records after it (on bench.raw, grad-up and
     * grad-down alike), so the broker keeps writing into memory it used before. Left to grow, the log takes fresh
     * memory for every pass: on a VM whose host backs guest memory on first touch (Firecracker, for one), that alone
     * made later passes of both kinds run at half the speed of the earlier ones. (Segments much smaller than this
     * cost time of their own: Kafka flushes a segment to disk when it rolls.)
     */
    public static final Map<String, String> BROKER = Map.of(
            "log.segment.bytes", String.valueOf(128 * 1024 * 1024),
            "log.retention.check.interval.ms", "100",
            "log.segment.delete.delay.ms", "0");

    private final long timeoutMillis;
    private final List<KafkaProducer<String, byte[]>> senders = new ArrayList<>();
    private final KafkaProducer<String, String> json;
    private final Admin admin;
    /**
     * One reader for every pass: values as slices of the fetched data, so the raw pass moves the bytes without
     * copying them, as the relay reads. Created once, like the topics, so that no pass pays for the set-up of a
     * client or a topic (its code is compiled while the passes run).
     */
    private final KafkaConsumer<String, ByteBuffer> reader;
    /** {@link #RAW_TOPIC}'s partitions: as many as grad-up has. */
    private final List<TopicPartition> rawPartitions = partitions(RAW_TOPIC, UP_TOPIC);
    private final List<TopicPartition> upPartitions = partitions(UP_TOPIC, UP_TOPIC);
    private final List<TopicPartition> downPartitions = partitions(DOWN_TOPIC, DOWN_TOPIC);
    private final ThreadCpu cpu = new ThreadCpu();

    public KafkaPasses(String bootstrap, int senders, long timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
        for (int s = 0; s < senders; s++) {
            this.senders.add(new KafkaProducer<>(senderConfig(bootstrap, "bench-" + GradientWorkload.sender(s)),
                    new StringSerializer(), new ByteArraySerializer()));
        }
        this.json = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        try {
            admin.createTopics(List.of(new NewTopic(RAW_TOPIC, rawPartitions.size(), (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not create " + RAW_TOPIC, e);
        }
        this.reader = new KafkaConsumer<>(receiverConfig(bootstrap), new StringDeserializer(),
                new ByteBufferDeserializer());
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

    /** Raw Kafka: the same records to {@link #RAW_TOPIC}, read back by one consumer. */
    public PassTiming raw(List<List<Up>> bySender, boolean warmup) throws Exception {
        int total = bySender.stream().mapToInt(List::size).sum();
        long bytes = bytes(bySender);
        Set<String> keys = new HashSet<>();
        long[] got = new long[2];
        PassTiming t = pass(PassTiming.RAW, warmup, RAW_TOPIC, bySender, rawPartitions, null, total, r -> {
            // as every reader of chunk traffic (worker, relay): the chunk's own CRC32C stands in for Kafka's check
            TensorCodec.view(r.value());
            keys.add(r.key());
            got[0]++;
            got[1] += r.value().remaining();
            return got[0] >= total;
        }, () -> got[0] + " of " + total + " records");
        if (keys.size() != total || got[0] != total || got[1] != bytes) {
            throw new IllegalStateException("raw pass read " + got[0] + " records (" + keys.size()
                    + " distinct), " + got[1] + " bytes; sent " + total + " records, " + bytes + " bytes");
        }
        dropRecords(rawPartitions);
        return t;
    }

    /**
     * Through the relay: grad-up of the bench datacenter in, averages read from its grad-down.
     *
     * @param delivered averages of the bench datacenter the broker has acknowledged to the relay so far (the relay's
     *                  {@code relay.chunks.delivered{to=down}} counter)
     */
    public PassTiming relay(List<List<Up>> bySender, DownCheck check, LongSupplier delivered, boolean warmup,
                            boolean timedReadback) throws Exception {
        long before = delivered.getAsLong();
        LongSupplier landed = timedReadback ? null : () -> delivered.getAsLong() - before;
        PassTiming t = pass(PassTiming.RELAY, warmup, UP_TOPIC, bySender, downPartitions, landed,
                check.expectedRecords(),
                r -> check.offer(r.key(), Utils.toArray(r.value())),
                () -> check.receivedRecords() + " records read, " + (delivered.getAsLong() - before)
                        + " acknowledged to the relay, " + check.expectedRecords() + " chunks expected");
        List<TopicPartition> both = new ArrayList<>(downPartitions);
        both.addAll(upPartitions);
        dropRecords(both);
        return t;
    }

    /** The partitions of {@code topic}, which has as many as {@code like} has in CrossTrain. */
    private static List<TopicPartition> partitions(String topic, String like) {
        List<TopicPartition> tps = new ArrayList<>();
        for (int p = 0; p < Topics.partitions(like); p++) {
            tps.add(new TopicPartition(topic, p));
        }
        return tps;
    }

    /**
     * Everything on these partitions was read: the broker may delete it (see {@link #BROKER}). Up to each
     * partition's high watermark, which the broker resolves itself (no offsets round trip first).
     */
    private void dropRecords(List<TopicPartition> tps) throws Exception {
        Map<TopicPartition, RecordsToDelete> upToEnd = new HashMap<>();
        tps.forEach(tp -> upToEnd.put(tp, RecordsToDelete.beforeOffset(DeleteRecordsRequest.HIGH_WATERMARK)));
        admin.deleteRecords(upToEnd).all().get(30, TimeUnit.SECONDS);
    }

    interface Receiver {
        /** true once everything expected has arrived */
        boolean take(ConsumerRecord<String, ByteBuffer> r);
    }

    interface Progress {
        String describe();
    }

    /**
     * @param landed   null: the clock stops when the receiver has everything; else when this count of records that
     *                 landed reaches {@code expected}, and the receiver reads them after the clock stopped
     * @param expected records the pass delivers to the receive partitions
     */
    private PassTiming pass(String kind, boolean warmup, String upTopic, List<List<Up>> bySender,
                            List<TopicPartition> receive, LongSupplier landed, int expected, Receiver receiver,
                            Progress progress) throws Exception {
        if (bySender.size() != senders.size()) {
            throw new IllegalArgumentException(bySender.size() + " record lists for " + senders.size() + " senders");
        }
        for (KafkaProducer<String, byte[]> p : senders) {
            p.partitionsFor(upTopic); // metadata before the clock starts, for both kinds alike
        }
        try (Gang gang = new Gang(upTopic, bySender)) {
            reader.assign(receive);
            reader.seekToEnd(receive); // what earlier passes left was read (and dropped) already
            for (TopicPartition tp : receive) {
                reader.position(tp); // resolved before the clock starts
            }

            cpu.start();
            long jit0 = jitMillis();
            long t0 = System.nanoTime();
            gang.go.countDown();
            long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            long end = 0;
            while (end == 0) {
                if (landed != null) {
                    if (landed.getAsLong() >= expected) {
                        end = System.nanoTime();
                    } else {
                        LockSupport.parkNanos(LANDED_POLL_NANOS);
                    }
                } else {
                    for (ConsumerRecord<String, ByteBuffer> r : reader.poll(POLL)) {
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
            boolean read = landed == null; // else the receiver has not seen a record yet
            long readDeadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            while (!read) { // untimed read-back of what landed
                for (ConsumerRecord<String, ByteBuffer> r : reader.poll(POLL)) {
                    read |= receiver.take(r);
                }
                if (!read && System.nanoTime() > readDeadline) {
                    throw new IllegalStateException(kind + " pass: what landed was not read back within "
                            + timeoutMillis + " ms: " + progress.describe());
                }
            }
            // anything sent twice would most likely come right behind: keep it for the check
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LATE_COPIES_MILLIS);
            while (System.nanoTime() < until) {
                for (ConsumerRecord<String, ByteBuffer> r : reader.poll(POLL)) {
                    receiver.take(r);
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
        reader.close();
        json.close();
        admin.close();
    }
}
