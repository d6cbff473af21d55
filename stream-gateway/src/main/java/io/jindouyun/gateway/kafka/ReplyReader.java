package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.Client;
import io.jindouyun.gateway.stream.StreamMap;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
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
 * <p>Concurrency: the consumer is set up on the starting thread and then used only by the {@code
 * jdy-replies} thread; {@link #stop} wakes it up and joins it. {@link #partition} is safe from any
 * thread.
 */
public final class ReplyReader implements SmartLifecycle {

  /**
   * Starts before the web server starts (phase {@code DEFAULT_PHASE - 2048}) and stops after it
   * stopped.
   */
  static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private static final Logger log = LoggerFactory.getLogger(ReplyReader.class);

  private final ReplyProperties props;
  private final Map<String, Object> consumerConfig;
  private final StreamMap streams;
  private final String node;
  private final Client etcdClient;
  private volatile int partition = -1;
  private volatile boolean running;
  private KafkaConsumer<String, byte[]> consumer;
  private PartitionClaim claim;
  private Thread thread;

  /**
   * A reader for {@code node} with Kafka client settings {@code consumerConfig}; {@code etcdClient}
   * is the process's shared etcd client, or null when no etcd endpoints are configured (then the
   * configured partition is read, unclaimed).
   */
  public ReplyReader(
      ReplyProperties props,
      Map<String, Object> consumerConfig,
      StreamMap streams,
      String node,
      Client etcdClient) {
    this.props = props;
    this.etcdClient = etcdClient;
    this.consumerConfig = consumerConfig;
    this.streams = streams;
    this.node = node;
  }

  /** The reply partition this gateway reads, or -1 before start. */
  public int partition() {
    return partition;
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    Map<String, Object> config = new HashMap<>(consumerConfig);
    config.remove(ConsumerConfig.GROUP_ID_CONFIG);
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    config.put(ConsumerConfig.RECEIVE_BUFFER_CONFIG, -1);
    config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1);
    config.put(ConsumerConfig.CLIENT_ID_CONFIG, "jdy-replies-" + node);
    consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    Duration timeout = props.startupTimeout();
    try {
      int chosen = choosePartition(timeout);
      TopicPartition tp = new TopicPartition(props.repliesTopic(), chosen);
      consumer.assign(List.of(tp));
      consumer.seekToEnd(List.of(tp));
      long position = consumer.position(tp, timeout);
      partition = chosen;
      log.info("reading {} from offset {}", tp, position);
    } catch (Exception e) {
      closeQuietly();
      throw new IllegalStateException("could not set up the reply partition", e);
    }
    running = true;
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
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(props.pollTimeout())) {
          try {
            streams.onChunk(ChunkDecoder.decode(record.value(), record.timestamp()));
          } catch (Exception e) {
            log.warn("dropped an unreadable reply at offset {}: {}", record.offset(), e.toString());
          }
        }
      }
    } catch (WakeupException e) {
      // stop() asked us to end
    } catch (RuntimeException e) {
      log.error("the reply reader stopped", e);
    } finally {
      closeQuietly();
    }
  }

  @Override
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void closeQuietly() {
    try {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
    } catch (RuntimeException e) {
      log.debug("closing the reply consumer", e);
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
