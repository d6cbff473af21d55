package io.jindouyun.consumer.kafka;

import io.jindouyun.consumer.job.InFlightJobs;
import io.jindouyun.consumer.job.JobKey;
import io.jindouyun.proto.chat.v1.ChatControl;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Reads ALL of the control topic in every instance (a cancel must reach whichever instance runs the
 * job): manual assignment of every partition, no consumer group and no commits, starting {@code
 * replay} back in time so a restarted instance still sees recent cancels of jobs it may get. Each
 * cancel goes to {@link InFlightJobs#cancel}, which stops the job (disposing its upstream call) or
 * remembers the cancel for a job still on its way.
 *
 * <p>Owns one thread, which alone touches the Kafka consumer; {@link #stop} wakes it and waits for
 * it (bounded). Records that are not a {@code ChatControl} are logged and skipped.
 */
public final class ControlReader implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ControlReader.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration JOIN = Duration.ofSeconds(5);

  private final Supplier<Consumer<String, byte[]>> consumers;
  private final String topic;
  private final Duration replay;
  private final InFlightJobs inFlight;
  private final LongSupplier clockMillis;
  private volatile Consumer<String, byte[]> consumer;
  private volatile Thread thread;
  private volatile boolean running;

  /**
   * @param consumers makes the (group-less, non-committing) consumer
   * @param topic the control topic
   * @param replay how far back to start reading
   */
  public ControlReader(
      Supplier<Consumer<String, byte[]>> consumers,
      String topic,
      Duration replay,
      InFlightJobs inFlight,
      LongSupplier clockMillis) {
    this.consumers = consumers;
    this.topic = topic;
    this.replay = replay;
    this.inFlight = inFlight;
    this.clockMillis = clockMillis;
  }

  @Override
  public void start() {
    consumer = consumers.get();
    running = true;
    Thread reader = new Thread(this::run, "jdy-control");
    reader.setDaemon(true);
    thread = reader;
    reader.start();
  }

  @Override
  public void stop() {
    running = false;
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      current.wakeup();
    }
    Thread reader = thread;
    if (reader != null) {
      try {
        reader.join(JOIN.toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Stops after the job consumers, so cancels still reach jobs while those drain. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE - 200;
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  private void run() {
    try (Consumer<String, byte[]> c = consumer) {
      if (!assignAll(c)) {
        return;
      }
      while (running) {
        for (ConsumerRecord<String, byte[]> record : c.poll(POLL)) {
          handle(record);
        }
      }
    } catch (WakeupException e) {
      // stopping
    } catch (RuntimeException e) {
      log.error("The control reader failed; cancels are no longer seen", e);
    }
  }

  private boolean assignAll(Consumer<String, byte[]> c) throws WakeupException {
    while (running) {
      List<PartitionInfo> partitions = c.partitionsFor(topic, Duration.ofSeconds(5));
      if (partitions != null && !partitions.isEmpty()) {
        List<TopicPartition> all =
            partitions.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        c.assign(all);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = clockMillis.getAsLong() - replay.toMillis();
        all.forEach(tp -> since.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(since);
        for (TopicPartition tp : all) {
          OffsetAndTimestamp at = offsets.get(tp);
          if (at != null) {
            c.seek(tp, at.offset());
          } else {
            c.seekToEnd(List.of(tp));
          }
        }
        log.info("Reading cancels from {} partitions of {}", all.size(), topic);
        return true;
      }
      log.warn("Control topic {} not found yet; retrying", topic);
      try {
        Thread.sleep(RETRY.toMillis()); // own thread, waiting for the topic to exist
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return false;
  }

  private void handle(ConsumerRecord<String, byte[]> record) {
    ChatControl control;
    try {
      control = ChatControl.parseFrom(record.value() == null ? new byte[0] : record.value());
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      log.warn("Skipping a control record that is not a ChatControl at offset {}", record.offset());
      return;
    }
    if (control.hasCancel()) {
      ChatControl.Cancel cancel = control.getCancel();
      boolean stopped = inFlight.cancel(new JobKey(cancel.getStreamId(), cancel.getGeneration()));
      log.debug(
          "Cancel {}/{} ({}): {}",
          cancel.getStreamId(),
          cancel.getGeneration(),
          cancel.getReason(),
          stopped ? "stopped" : "remembered");
    }
  }
}
