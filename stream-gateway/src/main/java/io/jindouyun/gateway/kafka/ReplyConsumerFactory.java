package io.jindouyun.gateway.kafka;

import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Makes the Kafka consumer the {@link ReplyReader} reads with, from its client settings. The reader
 * calls it once at start and again for each restart after a failure.
 */
@FunctionalInterface
public interface ReplyConsumerFactory {

  /** A plain Kafka consumer: string keys, byte values. */
  ReplyConsumerFactory KAFKA =
      config -> new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());

  /** A new consumer with {@code config}; the caller closes it. */
  Consumer<String, byte[]> create(Map<String, Object> config);
}
