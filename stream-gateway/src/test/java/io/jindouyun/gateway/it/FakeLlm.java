package io.jindouyun.gateway.it;

import static org.awaitility.Awaitility.await;

import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatControl;
import io.jindouyun.proto.chat.v1.ChatError;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.Usage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Stands in for the LLM consumer: reads jobs and cancels by manual assignment from the start of
 * their topics, and writes chunks exactly as a test wants them (gaps, duplicates, attempts).
 * Test-thread only.
 */
final class FakeLlm implements AutoCloseable {

  private final KafkaConsumer<String, byte[]> jobs;
  private final KafkaConsumer<String, byte[]> control;
  private final KafkaProducer<String, byte[]> producer;
  private final Map<String, ChatJob> seenJobs = new ConcurrentHashMap<>();
  private final Map<String, ChatControl.Cancel> seenCancels = new ConcurrentHashMap<>();

  FakeLlm(String bootstrap, int partitions) {
    Map<String, Object> c = Map.of("bootstrap.servers", bootstrap, "enable.auto.commit", false);
    jobs = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    control = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    assignAll(jobs, "chat.jobs", partitions);
    assignAll(control, "chat.control", partitions);
    producer =
        new KafkaProducer<>(
            Map.of("bootstrap.servers", bootstrap, "acks", "all", "linger.ms", 0),
            new StringSerializer(),
            new ByteArraySerializer());
  }

  private static void assignAll(KafkaConsumer<String, byte[]> consumer, String topic, int n) {
    List<TopicPartition> tps =
        IntStream.range(0, n).mapToObj(p -> new TopicPartition(topic, p)).toList();
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
  }

  ChatJob awaitJob(String streamId) {
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              for (ConsumerRecord<String, byte[]> r : jobs.poll(Duration.ofMillis(100))) {
                ChatJob job = ChatJob.parseFrom(r.value());
                seenJobs.put(job.getStreamId(), job);
              }
              return seenJobs.containsKey(streamId);
            });
    return seenJobs.get(streamId);
  }

  ChatControl.Cancel awaitCancel(String streamId) {
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> {
              for (ConsumerRecord<String, byte[]> r : control.poll(Duration.ofMillis(100))) {
                ChatControl.Cancel cancel = ChatControl.parseFrom(r.value()).getCancel();
                seenCancels.put(cancel.getStreamId(), cancel);
              }
              return seenCancels.containsKey(streamId);
            });
    return seenCancels.get(streamId);
  }

  boolean cancelled(String streamId) {
    for (ConsumerRecord<String, byte[]> r : control.poll(Duration.ofMillis(200))) {
      try {
        ChatControl.Cancel cancel = ChatControl.parseFrom(r.value()).getCancel();
        seenCancels.put(cancel.getStreamId(), cancel);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    return seenCancels.containsKey(streamId);
  }

  void chunk(ChatJob job, int attempt, long seq, String delta) {
    send(job, ChatChunk.newBuilder().setAttempt(attempt).setSeq(seq).setDelta(delta));
  }

  void last(ChatJob job, int attempt, long seq, String delta) {
    send(
        job,
        ChatChunk.newBuilder()
            .setAttempt(attempt)
            .setSeq(seq)
            .setDelta(delta)
            .setFinish("stop")
            .setUsage(
                Usage.newBuilder().setPromptTokens(3).setCompletionTokens(4).setTotalTokens(7)));
  }

  void error(ChatJob job, int attempt, long seq, String detail) {
    send(
        job,
        ChatChunk.newBuilder()
            .setAttempt(attempt)
            .setSeq(seq)
            .setError(
                ChatError.newBuilder()
                    .setType("https://jindouyun.io/problems/llm-error")
                    .setTitle("LLM error")
                    .setStatus(502)
                    .setDetail(detail)));
  }

  /** Ends the stream as the consumer does when the job's deadline passed: a job-expired error. */
  void expired(ChatJob job, int attempt, long seq) {
    send(
        job,
        ChatChunk.newBuilder()
            .setAttempt(attempt)
            .setSeq(seq)
            .setError(
                ChatError.newBuilder()
                    .setType("https://jindouyun.io/problems/job-expired")
                    .setTitle("The chat job expired")
                    .setStatus(504)
                    .setDetail("the answer was not finished before its deadline")));
  }

  /**
   * Sends every chunk of {@code text}, split in pieces of {@code size} code points, then a finish.
   */
  void answer(ChatJob job, int attempt, String text, int size) {
    long seq = 0;
    int i = 0;
    while (i < text.length()) {
      int end = text.offsetByCodePoints(i, Math.min(size, text.codePointCount(i, text.length())));
      chunk(job, attempt, seq++, text.substring(i, end));
      i = end;
    }
    last(job, attempt, seq, "");
  }

  private void send(ChatJob job, ChatChunk.Builder chunk) {
    ChatChunk value =
        chunk
            .setStreamId(job.getStreamId())
            .setGeneration(job.getGeneration())
            .setProducedAtMs(System.currentTimeMillis())
            .build();
    try {
      producer
          .send(
              new ProducerRecord<>(
                  job.getReplyTopic(),
                  job.getReplyPartition(),
                  job.getStreamId(),
                  value.toByteArray()))
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("could not send a chunk", e);
    }
  }

  @Override
  public void close() {
    jobs.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    control.close(CloseOptions.timeout(Duration.ofSeconds(1)));
    producer.close(Duration.ofSeconds(1));
  }
}
