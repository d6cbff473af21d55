package io.jindouyun.gateway.kafka;

import io.jindouyun.gateway.stream.UpstreamCanceller;
import io.jindouyun.proto.chat.v1.ChatControl;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Publishes cancels on the control topic (key: stream id). {@link #cancel} never blocks: it hands
 * the send to one sender thread through a bounded queue (the producer may wait for metadata); when
 * the queue is full the cancel is dropped, logged and counted. Thread-safe.
 */
public final class KafkaCanceller implements UpstreamCanceller, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaCanceller.class);

  private final KafkaTemplate<String, byte[]> template;
  private final String topic;
  private final ThreadPoolExecutor sender;
  private final AtomicLong dropped = new AtomicLong();

  /** A canceller with at most {@code capacity} cancels waiting. */
  public KafkaCanceller(KafkaTemplate<String, byte[]> template, String topic, int capacity) {
    this.template = template;
    this.topic = topic;
    this.sender =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(capacity),
            r -> {
              Thread t = new Thread(r, "jdy-cancels");
              t.setDaemon(true);
              return t;
            },
            (r, executor) -> {
              dropped.incrementAndGet();
              log.warn("cancel queue full: a cancel was dropped");
            });
  }

  @Override
  public void cancel(String streamId, long generation, String reason) {
    byte[] value =
        ChatControl.newBuilder()
            .setCancel(
                ChatControl.Cancel.newBuilder()
                    .setStreamId(streamId)
                    .setGeneration(generation)
                    .setReason(reason))
            .build()
            .toByteArray();
    sender.execute(
        () -> {
          try {
            template
                .send(new ProducerRecord<>(topic, streamId, value))
                .whenComplete(
                    (ok, e) -> {
                      if (e != null) {
                        log.warn("cancel of {} not sent: {}", streamId, e.toString());
                      }
                    });
          } catch (RuntimeException e) {
            log.warn("cancel of {} not sent: {}", streamId, e.toString());
          }
        });
  }

  /** Cancels dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  @Override
  public void close() {
    sender.shutdown();
    try {
      sender.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
