package io.jindouyun.consumer.kafka;

import io.jindouyun.consumer.reply.ReplySink;
import io.jindouyun.proto.chat.v1.ChatChunk;
import java.util.concurrent.CompletableFuture;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * {@link ReplySink} on a {@link KafkaTemplate} whose producer has {@code acks=all}, idempotence on
 * {@code linger.ms=1} and one request in flight (chunks that come while a request is out go
 * together in the next, so records per request grow with the load at no cost when it is low);
 * per-key order holds because idempotence keeps batch order through retries. Thread-safe.
 */
public final class KafkaReplySink implements ReplySink {

  private final KafkaTemplate<String, byte[]> template;

  public KafkaReplySink(KafkaTemplate<String, byte[]> template) {
    this.template = template;
  }

  @Override
  public CompletableFuture<?> send(String topic, int partition, ChatChunk chunk) {
    return template.send(topic, partition, chunk.getStreamId(), chunk.toByteArray());
  }
}
