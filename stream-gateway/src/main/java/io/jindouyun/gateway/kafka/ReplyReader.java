package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.Client;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.support.backoff.Backoff;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Reads this gateway's partition of the reply topic by manual assignment (no consumer group, no
 * commits) and feeds every chunk into the stream map.
 *
 * <p>At start it claims the partition (in etcd if endpoints are configured, else the configured
 * one), assigns it, seeks to the end and resolves the position before returning, so no chunk of a
 * job sent after startup is skipped. Starts before the web server (lower phase) and stops after it.
 *
 * <p>A reader that cannot die silently: a record that cannot be decoded or applied is logged and
 * skipped; any runtime failure of the consumer itself (poll, seek) closes it and, after a jittered
 * backoff (200 ms doubling to 5 s), a fresh consumer resumes at the offset after the last record
 * read, so no chunk written meanwhile is lost. The partition claim is kept throughout. While the
 * reader is not reading (from the failure until a poll succeeds again) {@link #reading} is false:
 * readiness is DOWN and handshakes are refused with 503, since nobody would read their answers.
 *
 * <p>Concurrency: the consumer is set up on the starting thread and then used only by the {@code
 * jdy-replies} thread (which also replaces it); {@link #stop} wakes it up and joins it. {@link
 * #partition}, {@link #reading} and {@link #failures} are safe from any thread.
 */
public final class ReplyReader implements SmartLifecycle {

  /**
   * Starts before the web server starts (phase {@code DEFAULT_PHASE - 2048}) and stops after it
   * stopped.
   */
  static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private static final Logger log = LoggerFactory.getLogger(ReplyReader.class);
  private static final Backoff RESTART_BACKOFF =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5));
  private static final Duration CLOSE = Duration.ofSeconds(2);

  private final ReplyProperties props;
  private final Map<String, Object> consumerConfig;
  private final ReplyConsumerFactory consumers;
  private final StreamMap streams;
  private final String node;
  private final Client etcdClient;
  private final Duration lookback;
  private volatile PartitionTakeover takeover;
  private volatile int partition = -1;
  private volatile boolean running;
  private volatile boolean reading;
  private volatile boolean handedOver;
  private volatile long failures;
  private volatile CountDownLatch stopping = new CountDownLatch(0);
  private volatile Consumer<String, byte[]> consumer;
  private long position; // the offset after the last record read; the reader thread's after start
  private volatile PartitionClaim claim;
  private Thread thread;

  /**
   * A reader for {@code node} with Kafka client settings {@code consumerConfig}, whose consumers
   * {@code consumers} makes; {@code etcdClient} is the process's shared etcd client, or null when
   * no etcd endpoints are configured (then the configured partition is read, unclaimed, and no
   * partition of a gone gateway is taken over). A partition taken over is read from {@code
   * lookback} ago (the streams' maximum lifetime).
   */
  public ReplyReader(
      ReplyProperties props,
      Map<String, Object> consumerConfig,
      ReplyConsumerFactory consumers,
      StreamMap streams,
      String node,
      Client etcdClient,
      Duration lookback) {
    this.props = props;
    this.etcdClient = etcdClient;
    this.lookback = lookback;
    this.consumerConfig = readerConfig(consumerConfig, node);
    this.consumers = consumers;
    this.streams = streams;
    this.node = node;
  }

  private static Map<String, Object> readerConfig(Map<String, Object> base, String node) {
    Map<String, Object> config = new HashMap<>(base);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    config.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1);
    config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "jdy-replies-" + node);
    return Map.copyOf(config);
  }

  /** The reply partition this gateway reads, or -1 before start. */
  public int partition() {
    return partition;
  }

  /**
   * Whether the reply partition is being read now: false before start, after stop, and from a
   * failure of the consumer until a poll of its replacement succeeds.
   */
  public boolean reading() {
    return reading && !handedOver;
  }

  /**
   * Whether this gateway holds its reply partition's claim in etcd: true without etcd (the
   * partition is configured), false from a lost claim lease until it is claimed again.
   */
  public boolean claimHeld() {
    PartitionClaim current = claim;
    return current == null ? etcdClient == null : current.held();
  }

  /**
   * Hands this gateway's streams over for a drain: stops taking partitions over and revokes the
   * claim's lease, so the other gateways see its claims deleted and one of them takes each
   * partition over ({@link PartitionTakeover}); then waits at most {@code max} until a gateway has
   * published in etcd that it serves this gateway's streams. The partition is still read meanwhile,
   * but handshakes are refused from now on ({@link #reading} is false). Returns whether a gateway
   * took the streams over; false at once without etcd. Called once, by the drain, on the shutdown
   * thread (it blocks that thread at most {@code max}).
   */
  public boolean handOver(Duration max) {
    PartitionClaim current = claim;
    if (etcdClient == null || current == null || handedOver) {
      return false;
    }
    handedOver = true;
    if (takeover != null) {
      takeover.close();
    }
    try {
      return Handovers.awaitTaker(etcdClient, node, max, current::close);
    } catch (Exception e) {
      log.warn("handing the streams over failed: {}", e.toString());
      return false;
    }
  }

  /** Failures of the consumer since the last successful poll (0 while reading). */
  public long failures() {
    return failures;
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    consumer = consumers.create(consumerConfig);
    Duration timeout = props.startupTimeout();
    try {
      int chosen = choosePartition(timeout);
      TopicPartition tp = new TopicPartition(props.repliesTopic(), chosen);
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      position = consumer.position(tp, timeout);
      partition = chosen;
      log.info("reading {} from offset {}", tp, position);
    } catch (Exception e) {
      closeQuietly(consumer);
      closeClaim();
      throw new IllegalStateException("could not set up the reply partition", e);
    }
    if (claim != null && props.maxTakenOverPartitions() > 0) {
      takeover =
          new PartitionTakeover(
              etcdClient,
              claim,
              node,
              props.maxTakenOverPartitions(),
              timeout,
              this::adoptedReader);
      takeover.start();
    }
    running = true;
    reading = true;
    stopping = new CountDownLatch(1);
    thread = new Thread(this::loop, "jdy-replies");
    thread.setDaemon(true);
    thread.start();
  }

  private int choosePartition(Duration timeout) throws Exception {
    if (etcdClient == null) {
      log.info(
          "no jindouyun.etcd.endpoints: reading the configured reply partition {}",
          props.replyPartition());
      return props.replyPartition();
    }
    int partitions = props.replyPartitions();
    if (partitions == 0) {
      var infos = consumer.partitionsFor(props.repliesTopic(), timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + props.repliesTopic() + " does not exist");
      }
      partitions = infos.size();
    }
    claim = new PartitionClaim(etcdClient);
    int n = claim.claim(node, partitions, props.claimLeaseTtl(), timeout);
    log.info("claimed reply partition {} of {} in etcd for {}", n, partitions, node);
    return n;
  }

  private void loop() {
    TopicPartition tp = new TopicPartition(props.repliesTopic(), partition);
    while (running) {
      Consumer<String, byte[]> current = consumer;
      try {
        if (current == null) {
          current = resume(tp);
        }
        ConsumerRecords<String, byte[]> records = current.poll(props.pollTimeout());
        if (!reading) {
          log.info("reading {} again from offset {}", tp, position);
          reading = true;
        }
        failures = 0;
        for (ConsumerRecord<String, byte[]> record : records) {
          apply(record);
          position = record.offset() + 1;
        }
      } catch (WakeupException e) {
        // stop() asked us to end; the loop sees running is false
      } catch (RuntimeException e) {
        reading = false;
        long failed = failures;
        failures = failed + 1;
        Duration wait = RESTART_BACKOFF.delay((int) Math.min(failed, 30));
        log.error(
            "the reply reader failed ({} in a row): no replies are read and handshakes get 503;"
                + " restarting it at offset {} in {} ms",
            failed + 1,
            position,
            wait.toMillis(),
            e);
        Consumer<String, byte[]> broken = consumer;
        consumer = null;
        closeQuietly(broken);
        awaitStop(wait);
      }
    }
    reading = false;
    closeQuietly(consumer);
    closeClaim();
  }

  private AdoptedReader adoptedReader(int n, String goneNode) {
    Map<String, Object> config = new HashMap<>(consumerConfig);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "jdy-adopted-" + node + "-" + n);
    return new AdoptedReader(
        new TopicPartition(props.repliesTopic(), n),
        goneNode,
        Map.copyOf(config),
        consumers,
        streams,
        lookback,
        props.pollTimeout(),
        System::currentTimeMillis,
        takeover);
  }

  /**
   * Whether this gateway took over the reply partition of {@code goneNode} and has not yet read it
   * up to the takeover (its streams are not served yet).
   */
  public boolean catchingUp(String goneNode) {
    PartitionTakeover current = takeover;
    return current != null && current.catchingUp(goneNode);
  }

  /** Reply partitions of gone gateways read now besides this gateway's own. */
  public List<Integer> takenOver() {
    PartitionTakeover current = takeover;
    return current == null ? List.of() : current.partitions();
  }

  /** A fresh consumer on the reply partition at the offset after the last record read. */
  private Consumer<String, byte[]> resume(TopicPartition tp) {
    Consumer<String, byte[]> fresh = consumers.create(consumerConfig);
    consumer = fresh;
    fresh.assign(List.of(tp));
    fresh.seek(tp, position);
    return fresh;
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    try {
      streams.onChunk(ChunkDecoder.decode(record.value(), record.timestamp()));
    } catch (Exception e) {
      log.warn("dropped an unreadable reply at offset {}: {}", record.offset(), e.toString());
    }
  }

  private void awaitStop(Duration wait) {
    try {
      stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      running = false;
    }
  }

  @Override
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    stopping.countDown();
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException e) {
        log.debug("waking the reply consumer", e);
      }
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(Consumer<String, byte[]> c) {
    if (c == null) {
      return;
    }
    try {
      c.close(CloseOptions.timeout(CLOSE));
    } catch (RuntimeException e) {
      log.debug("closing the reply consumer", e);
    }
  }

  private void closeClaim() {
    if (takeover != null) {
      takeover.close();
      takeover = null;
    }
    if (claim != null) {
      claim.close();
      claim = null;
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
