package io.jindouyun.consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** A consumer that dies mid-stream leaves its job uncommitted; the next one redoes it. */
@Timeout(120)
class RedeliveryIntegrationTests {

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final Duration WAIT = Duration.ofSeconds(20);

  static DevLlmServer llm;
  static KafkaProducer<String, byte[]> producer;
  static TopicReader reader;

  @BeforeAll
  static void start() {
    kafka.createTopics(2, "chat.jobs", "chat.replies", "chat.control");
    kafka.createTopics(1, "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    producer =
        new KafkaProducer<>(
            Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()),
            new StringSerializer(),
            new ByteArraySerializer());
    reader = new TopicReader(kafka.bootstrapServers(), "chat.replies", "chat.jobs-dlt");
  }

  @AfterAll
  static void stop() throws Exception {
    if (reader != null) {
      reader.close();
    }
    if (producer != null) {
      producer.close(Duration.ofSeconds(5));
    }
    if (llm != null) {
      llm.close();
    }
  }

  static ConfigurableApplicationContext consumer() {
    return new SpringApplicationBuilder(LlmConsumerApplication.class)
        .run(
            "--server.port=0",
            "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
            "--jindouyun.llm.base-url=" + llm.baseUrl(),
            "--jindouyun.consumer.drain-timeout=0s",
            "--jindouyun.consumer.concurrency=1",
            "--jindouyun.etcd.endpoints=",
            "--jindouyun.metrics.grpc-port=0");
  }

  @Test
  void aJobAbandonedMidStreamIsRedoneWithAHigherAttemptFromSeqZero() throws Exception {
    String prompt = "A long one [dev:tokens=150] [dev:delay=10]";
    ChatJob job = LlmConsumerIntegrationTests.job(prompt);
    long closed = llm.closedEarly();
    ConfigurableApplicationContext first = consumer();
    producer
        .send(new ProducerRecord<>("chat.jobs", job.getUserId(), job.toByteArray()))
        .get(10, java.util.concurrent.TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> reader.chunks(job.getStreamId()).size() >= 3);

    first.close(); // drain timeout 0: the running job is abandoned, its offset not committed

    assertThat(llm.awaitClosedEarly(closed + 1, WAIT)).isTrue();
    int firstAttempt = reader.chunks(job.getStreamId()).get(0).getAttempt();
    try (ConfigurableApplicationContext second = consumer()) {
      assertThat(second.isRunning()).isTrue();
      await().atMost(WAIT).until(() -> reader.ended(job.getStreamId()));
    }
    List<ChatChunk> chunks = reader.chunks(job.getStreamId());
    assertThat(chunks).extracting(ChatChunk::getAttempt).isSorted();
    List<ChatChunk> redone = chunks.stream().filter(c -> c.getAttempt() > firstAttempt).toList();
    assertThat(redone).isNotEmpty();
    assertThat(redone).extracting(ChatChunk::getAttempt).containsOnly(redone.get(0).getAttempt());
    assertThat(redone)
        .extracting(ChatChunk::getSeq)
        .containsExactly(LlmConsumerIntegrationTests.seqs(redone.size()));
    assertThat(redone.stream().map(ChatChunk::getDelta).collect(Collectors.joining()))
        .isEqualTo(LlmConsumerIntegrationTests.nonStreamingAnswer(llm, prompt));
    assertThat(redone.get(redone.size() - 1).getFinish()).isEqualTo("stop");
  }
}
