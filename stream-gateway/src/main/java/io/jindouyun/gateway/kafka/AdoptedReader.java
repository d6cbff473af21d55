package io.jindouyun.gateway.kafka;

import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.support.backoff.Backoff;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the reply partition of a gone gateway, taken over by {@link PartitionTakeover}, and
 * rebuilds its streams in the stream map ({@link StreamMap#onAdoptedChunk}).
 *
 * <p>It starts at the partition's offset for {@code now - lookback} (Kafka's offsets-for-times; the
 * lookback is the streams' maximum lifetime, so the first chunk of every stream that may still be
 * open is read) and reads on. Once it has read every record written before it started it calls
 * {@code caughtUp} once: from then on a reader resuming with {@code Last-Event-ID} finds every
 * chunk its gone gateway had. It ends by itself, calling {@code finished}, when at least the
 * lookback has passed since it started and no stream it rebuilt is still held by the map (every one
 * ended and was acknowledged or released): then no chunk it could still read has a reader.
 *
 * <p>A failure of the consumer (poll, seek) closes it and, after a backoff, a fresh one resumes at
 * the offset after the last record read.
 *
 * <p>Concurrency: everything runs on its own {@code jdy-adopted-<n>} thread; {@link #stop} may be
 * called from any thread: it wakes the consumer and joins the thread.
 */
final class AdoptedReader {

  /** Called by the reader's thread. */
  interface Events {
    /** Every record written before the reader started has been applied. */
    void caughtUp(AdoptedReader reader);

    /** The reader ended by itself: the partition may be released. */
    void finished(AdoptedReader reader);
  }

  private static final Logger log = LoggerFactory.getLogger(AdoptedReader.class);
  private static final Backoff RESTART_BACKOFF =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5));
  private static final Duration CLOSE = Duration.ofSeconds(2);
  private static final long SWEEP_MS = 1_000;

  private final TopicPartition tp;
  private final String goneNode;
  private final Map<String, Object> config;
  private final ReplyConsumerFactory consumers;
  private final StreamMap streams;
  private final Duration lookback;
  private final Duration pollTimeout;
  private final LongSupplier millis;
  private final Events events;
  private final Set<Generation> rebuilt = new HashSet<>(); // the reader thread's
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile boolean running = true;
  private volatile Consumer<String, byte[]> consumer;
  private Thread thread;

  AdoptedReader(
      TopicPartition tp,
      String goneNode,
      Map<String, Object> config,
      ReplyConsumerFactory consumers,
      StreamMap streams,
      Duration lookback,
      Duration pollTimeout,
      LongSupplier millis,
      Events events) {
    this.tp = tp;
    this.goneNode = goneNode;
    this.config = config;
    this.consumers = consumers;
    this.streams = streams;
    this.lookback = lookback;
    this.pollTimeout = pollTimeout;
    this.millis = millis;
    this.events = events;
  }

  /** The partition read. */
  int partition() {
    return tp.partition();
  }

  /** The gateway whose partition this was. */
  String goneNode() {
    return goneNode;
  }

  /** Starts the reader's thread. */
  synchronized void start() {
    thread = new Thread(this::loop, "jdy-adopted-" + tp.partition());
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    long startedMs = millis.getAsLong();
    long position = -1;
    long catchUpAt = -1;
    boolean caughtUp = false;
    long sweptMs = startedMs;
    int failures = 0;
    while (running) {
      Consumer<String, byte[]> current = consumer;
      try {
        if (current == null) {
          current = consumers.create(config);
          consumer = current;
          current.assign(List.of(tp));
          if (position < 0) {
            catchUpAt = current.endOffsets(List.of(tp)).getOrDefault(tp, 0L);
            position = startOffset(current, startedMs - lookback.toMillis(), catchUpAt);
            log.info(
                "reading {} of gone gateway {} from offset {} (caught up at {})",
                tp,
                goneNode,
                position,
                catchUpAt);
          }
          current.seek(tp, position);
        }
        for (ConsumerRecord<String, byte[]> record : current.poll(pollTimeout)) {
          apply(record);
          position = record.offset() + 1;
        }
        failures = 0;
        if (!caughtUp && position >= catchUpAt) {
          caughtUp = true;
          log.info("caught up with {} of gone gateway {}", tp, goneNode);
          events.caughtUp(this);
        }
        long now = millis.getAsLong();
        if (now - sweptMs >= SWEEP_MS) {
          sweptMs = now;
          rebuilt.removeIf(gen -> !streams.holds(gen));
          if (caughtUp && rebuilt.isEmpty() && now - startedMs >= lookback.toMillis()) {
            log.info("no stream of gone gateway {} is left on {}; releasing it", goneNode, tp);
            running = false;
            closeQuietly(current);
            consumer = null;
            events.finished(this);
            return;
          }
        }
      } catch (WakeupException e) {
        // stop() asked us to end
      } catch (RuntimeException e) {
        Duration wait = RESTART_BACKOFF.delay(Math.min(failures++, 30));
        log.error("reading {} of gone gateway {} failed; again in {} ms", tp, goneNode, wait, e);
        closeQuietly(current);
        consumer = null;
        awaitStop(wait);
      }
    }
    closeQuietly(consumer);
    consumer = null;
  }

  /** The first offset at or after {@code fromMs}, or the end when no record is that new. */
  private long startOffset(Consumer<String, byte[]> c, long fromMs, long end) {
    OffsetAndTimestamp found = c.offsetsForTimes(Map.of(tp, Math.max(0, fromMs))).get(tp);
    return found == null ? end : found.offset();
  }

  private void apply(ConsumerRecord<String, byte[]> record) {
    try {
      ChunkDecoder.Owned owned = ChunkDecoder.decodeOwned(record.value(), record.timestamp());
      Generation gen = streams.onAdoptedChunk(owned.userId(), owned.chunk(), millis.getAsLong());
      if (gen != null) {
        rebuilt.add(gen);
      }
    } catch (Exception e) {
      log.warn(
          "dropped an unreadable reply on {} at offset {}: {}", tp, record.offset(), e.toString());
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

  /** Stops reading and joins the thread (bounded). */
  synchronized void stop() {
    running = false;
    stopping.countDown();
    Consumer<String, byte[]> current = consumer;
    if (current != null) {
      try {
        current.wakeup();
      } catch (RuntimeException e) {
        log.debug("waking the adopted reply consumer", e);
      }
    }
    if (thread != null && thread != Thread.currentThread()) {
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void closeQuietly(Consumer<String, byte[]> c) {
    if (c == null) {
      return;
    }
    try {
      c.close(CloseOptions.timeout(CLOSE));
    } catch (RuntimeException e) {
      log.debug("closing the adopted reply consumer", e);
    }
  }
}
