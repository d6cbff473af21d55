package io.jindouyun.consumer.kafka;

import io.jindouyun.consumer.job.InFlightJobs;
import io.jindouyun.consumer.job.JobKey;
import io.jindouyun.proto.chat.v1.ChatControl;
import io.jindouyun.support.backoff.Backoff;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
 * it (bounded). Records that are not a {@code ChatControl}, or whose handling throws, are logged
 * and skipped. A runtime failure of the consumer itself (poll, assignment, seeks) does not end the
 * reader: the consumer is closed and, after a jittered backoff (200 ms doubling to 10 s), a fresh
 * one resumes each partition after the last record read (a partition never read starts {@code
 * replay} back again).
 */
public final class ControlReader implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ControlReader.class);
  private static final Duration POLL = Duration.ofMillis(500);
  private static final Duration RETRY = Duration.ofSeconds(1);
  private static final Duration JOIN = Duration.ofSeconds(5);
  private static final Duration CLOSE = Duration.ofSeconds(2);
  private static final Backoff RESTART_BACKOFF =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));

  private final Supplier<Consumer<String, byte[]>> consumers;
  private final String topic;
  private final Duration replay;
  private final InFlightJobs inFlight;
  private final LongSupplier clockMillis;
  private volatile Consumer<String, byte[]> consumer;
  private volatile Thread thread;
  private volatile boolean running;
  private final CountDownLatch stopping = new CountDownLatch(1);
  // confined to the reader thread: where to resume each partition after a restart
  private final Map<TopicPartition, Long> positions = new HashMap<>();

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
    stopping.countDown();
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
    int failures = 0;
    while (running) {
      Consumer<String, byte[]> c = consumer;
      try {
        if (c == null) {
          c = consumers.get();
          consumer = c;
        }
        if (!assignAll(c)) {
          break;
        }
        while (running) {
          ConsumerRecords<String, byte[]> records = c.poll(POLL);
          failures = 0;
          for (ConsumerRecord<String, byte[]> record : records) {
            handleQuietly(record);
            positions.put(
                new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
          }
        }
      } catch (WakeupException e) {
        // stop() woke us; the loop ends as running is false
      } catch (RuntimeException e) {
        Duration wait = RESTART_BACKOFF.delay(failures++);
        log.error(
            "The control reader failed ({} in a row); cancels are not seen until it restarts in {}"
                + " ms",
            failures,
            wait.toMillis(),
            e);
        consumer = null;
        closeQuietly(c);
        if (awaitStop(wait)) {
          return;
        }
      }
    }
    closeQuietly(consumer);
  }

  /** Waits {@code wait} unless stopped first; true if stopped. */
  private boolean awaitStop(Duration wait) {
    try {
      return stopping.await(wait.toMillis(), TimeUnit.MILLISECONDS) || !running;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return true;
    }
  }

  private static void closeQuietly(Consumer<String, byte[]> c) {
    if (c == null) {
      return;
    }
    try {
      c.close(CloseOptions.timeout(CLOSE));
    } catch (RuntimeException e) {
      log.debug("Closing the control consumer", e);
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
        all.stream().filter(tp -> !positions.containsKey(tp)).forEach(tp -> since.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets =
            since.isEmpty() ? Map.of() : c.offsetsForTimes(since);
        for (TopicPartition tp : all) {
          Long resume = positions.get(tp);
          OffsetAndTimestamp at = offsets.get(tp);
          if (resume != null) {
            c.seek(tp, resume);
          } else if (at != null) {
            c.seek(tp, at.offset());
          } else {
            c.seekToEnd(List.of(tp));
          }
        }
        log.info("Reading cancels from {} partitions of {}", all.size(), topic);
        return true;
      }
      log.warn("Control topic {} not found yet; retrying", topic);
      if (awaitStop(RETRY)) {
        return false;
      }
    }
    return false;
  }

  private void handleQuietly(ConsumerRecord<String, byte[]> record) {
    try {
      handle(record);
    } catch (RuntimeException e) {
      log.warn(
          "Skipping a control record that could not be handled at offset {}", record.offset(), e);
    }
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
