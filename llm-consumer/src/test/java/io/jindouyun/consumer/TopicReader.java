package io.jindouyun.consumer;

import io.jindouyun.proto.chat.v1.ChatChunk;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Test helper: reads every partition of the reply and dead-letter topics on its own thread. */
final class TopicReader implements AutoCloseable {

  final Map<String, List<ChatChunk>> chunks = new ConcurrentHashMap<>();
  final List<ConsumerRecord<String, byte[]>> deadLetters = new CopyOnWriteArrayList<>();
  private final KafkaConsumer<String, byte[]> consumer;
  private final Thread thread;
  private volatile boolean running = true;

  TopicReader(String bootstrap, String replies, String deadLetterTopic) {
    consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer());
    List<TopicPartition> partitions =
        java.util.stream.Stream.of(replies, deadLetterTopic)
            .flatMap(
                t ->
                    consumer.partitionsFor(t, Duration.ofSeconds(10)).stream()
                        .map(p -> new TopicPartition(t, p.partition())))
            .toList();
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread = new Thread(this::run, "test-topic-reader");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          if (record.topic().endsWith("-dlt")) {
            deadLetters.add(record);
          } else {
            try {
              ChatChunk chunk = ChatChunk.parseFrom(record.value());
              chunks
                  .computeIfAbsent(chunk.getStreamId(), k -> new CopyOnWriteArrayList<>())
                  .add(chunk);
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
              throw new IllegalStateException(e);
            }
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } finally {
      consumer.close();
    }
  }

  List<ChatChunk> chunks(String streamId) {
    return chunks.getOrDefault(streamId, List.of());
  }

  /** Whether the stream got its last chunk (finish or error). */
  boolean ended(String streamId) {
    return chunks(streamId).stream().anyMatch(c -> !c.getFinish().isEmpty() || c.hasError());
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
