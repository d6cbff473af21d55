package io.jindouyun.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(90)
class KafkaExtensionIntegrationTests {

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  private KafkaProducer<String, byte[]> producer() {
    return new KafkaProducer<>(
        Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ProducerConfig.ACKS_CONFIG,
            "all",
            ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
            true),
        new StringSerializer(),
        new ByteArraySerializer());
  }

  private KafkaConsumer<String, byte[]> consumer() {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            kafka.bootstrapServers(),
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
            "earliest",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false),
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  @Test
  void chatJobAndItsChunksRoundTripInOrderByStreamKey() throws Exception {
    kafka.createTopics(1, "rt.jobs");
    kafka.createTopics(4, "rt.replies");
    ChatJob job =
        ChatJob.newBuilder()
            .setStreamId("gw-1~abc")
            .setUserId("alice")
            .setGeneration(42)
            .addMessages(ChatMessage.newBuilder().setRole("user").setContent("筋斗云?"))
            .setReplyTopic("rt.replies")
            .setReplyPartition(2)
            .build();
    List<String> deltas = List.of("Hello", ", ", "world", "!");
    try (KafkaProducer<String, byte[]> producer = producer()) {
      producer
          .send(new ProducerRecord<>("rt.jobs", job.getUserId(), job.toByteArray()))
          .get(20, TimeUnit.SECONDS);
      for (int seq = 0; seq < deltas.size(); seq++) {
        ChatChunk chunk =
            ChatChunk.newBuilder()
                .setStreamId(job.getStreamId())
                .setGeneration(job.getGeneration())
                .setAttempt(1)
                .setSeq(seq)
                .setDelta(deltas.get(seq))
                .build();
        producer.send(
            new ProducerRecord<>(
                job.getReplyTopic(),
                job.getReplyPartition(),
                job.getStreamId(),
                chunk.toByteArray()));
      }
      producer.flush();
    }

    try (KafkaConsumer<String, byte[]> consumer = consumer()) {
      consumer.assign(List.of(new TopicPartition("rt.jobs", 0)));
      ChatJob received = ChatJob.parseFrom(pollExactly(consumer, 1).get(0).value());
      assertThat(received).isEqualTo(job);

      consumer.assign(List.of(new TopicPartition("rt.replies", received.getReplyPartition())));
      List<ConsumerRecord<String, byte[]>> records = pollExactly(consumer, deltas.size());
      List<ChatChunk> chunks = new ArrayList<>();
      for (ConsumerRecord<String, byte[]> record : records) {
        assertThat(record.key()).isEqualTo(job.getStreamId());
        chunks.add(ChatChunk.parseFrom(record.value()));
      }
      assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 1L, 2L, 3L);
      assertThat(chunks).extracting(ChatChunk::getDelta).containsExactlyElementsOf(deltas);
    }
  }

  @Test
  void stoppedBrokerComesBackWithItsTopics() throws Exception {
    kafka.createTopics(2, "rt.restart");
    kafka.stop();
    assertThat(kafka.isRunning()).isFalse();
    org.assertj.core.api.Assertions.assertThatThrownBy(kafka::bootstrapServers)
        .hasMessageContaining("stopped");
    kafka.start();
    try (KafkaProducer<String, byte[]> producer = producer()) {
      var metadata =
          producer
              .send(new ProducerRecord<>("rt.restart", 1, "k", new byte[] {1}))
              .get(20, TimeUnit.SECONDS);
      assertThat(metadata.partition()).isEqualTo(1);
    }
  }

  private static List<ConsumerRecord<String, byte[]>> pollExactly(
      KafkaConsumer<String, byte[]> consumer, int count) {
    List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (records.size() < count && System.nanoTime() < deadline) {
      consumer.poll(Duration.ofMillis(200)).forEach(records::add);
    }
    assertThat(records).hasSize(count);
    return records;
  }
}
