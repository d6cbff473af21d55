package io.jindouyun.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
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

/** The broker in its own JVM: frozen by SIGSTOP it answers nothing; thawed, it has lost nothing. */
@Timeout(150)
class KafkaProcessExtensionIntegrationTests {

  @RegisterExtension static final KafkaProcessExtension kafka = new KafkaProcessExtension();

  @Test
  void aFrozenBrokerAnswersNothingAndAThawedOneKeepsItsRecords() throws Exception {
    kafka.createTopics(1, "frozen");
    assertThat(kafka.pid()).isNotEqualTo(ProcessHandle.current().pid());
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG,
                "all",
                ProducerConfig.LINGER_MS_CONFIG,
                0),
            new StringSerializer(),
            new ByteArraySerializer())) {
      producer.send(record("before")).get(20, TimeUnit.SECONDS);

      kafka.pause();
      try {
        assertThatThrownBy(() -> producer.send(record("while frozen")).get(2, TimeUnit.SECONDS))
            .isInstanceOf(TimeoutException.class);
      } finally {
        kafka.resume();
      }
      producer.send(record("after")).get(20, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("a send failed", e);
    }

    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false),
            new StringDeserializer(),
            new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition("frozen", 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      List<String> values = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(20))
          .until(
              () -> {
                consumer
                    .poll(Duration.ofMillis(200))
                    .forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
                return values.size() >= 3;
              });
      assertThat(values).containsExactly("before", "while frozen", "after");
    }
  }

  private static ProducerRecord<String, byte[]> record(String value) {
    return new ProducerRecord<>("frozen", "k", value.getBytes(StandardCharsets.UTF_8));
  }
}
