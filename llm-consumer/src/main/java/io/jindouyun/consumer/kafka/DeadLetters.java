package io.jindouyun.consumer.kafka;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;

/**
 * Puts failed job records on the dead-letter topic, unchanged (key, value, headers), with the error
 * headers of Spring Kafka's {@code DeadLetterPublishingRecoverer} ({@code
 * kafka_dlt-exception-fqcn}, {@code -cause-fqcn}, {@code -message}, {@code -stacktrace}, {@code
 * kafka_dlt-original-topic}, {@code -partition}, {@code -offset}, {@code -timestamp}, {@code
 * -timestamp-type}, {@code -consumer-group}), so the usual tools read them. The partition is left
 * to the producer (the dead-letter topic may have fewer partitions). Non-blocking; thread-safe.
 */
public final class DeadLetters {

  /** Stack traces in headers are cut to this many characters. */
  public static final int MAX_STACKTRACE_CHARS = 8_192;

  private final KafkaTemplate<String, byte[]> template;
  private final String topic;
  private final String groupId;

  public DeadLetters(KafkaTemplate<String, byte[]> template, String topic, String groupId) {
    this.template = template;
    this.topic = topic;
    this.groupId = groupId;
  }

  /** Sends {@code record} with the headers of {@code failure}; completes on the broker's ack. */
  public CompletableFuture<?> publish(ConsumerRecord<String, byte[]> record, Throwable failure) {
    ProducerRecord<String, byte[]> dead =
        new ProducerRecord<>(topic, null, record.key(), record.value());
    Headers headers = dead.headers();
    for (Header header : record.headers()) {
      if (!header.key().startsWith("kafka_dlt-")) {
        headers.add(header);
      }
    }
    Throwable cause = rootCause(failure);
    headers.add(KafkaHeaders.DLT_EXCEPTION_FQCN, utf8(failure.getClass().getName()));
    headers.add(KafkaHeaders.DLT_EXCEPTION_CAUSE_FQCN, utf8(cause.getClass().getName()));
    headers.add(
        KafkaHeaders.DLT_EXCEPTION_MESSAGE,
        utf8(failure.getMessage() == null ? "" : failure.getMessage()));
    headers.add(KafkaHeaders.DLT_EXCEPTION_STACKTRACE, utf8(stackTrace(failure)));
    headers.add(KafkaHeaders.DLT_ORIGINAL_TOPIC, utf8(record.topic()));
    headers.add(
        KafkaHeaders.DLT_ORIGINAL_PARTITION,
        ByteBuffer.allocate(Integer.BYTES).putInt(record.partition()).array());
    headers.add(
        KafkaHeaders.DLT_ORIGINAL_OFFSET,
        ByteBuffer.allocate(Long.BYTES).putLong(record.offset()).array());
    headers.add(
        KafkaHeaders.DLT_ORIGINAL_TIMESTAMP,
        ByteBuffer.allocate(Long.BYTES).putLong(record.timestamp()).array());
    headers.add(KafkaHeaders.DLT_ORIGINAL_TIMESTAMP_TYPE, utf8(record.timestampType().toString()));
    headers.add(KafkaHeaders.DLT_ORIGINAL_CONSUMER_GROUP, utf8(groupId));
    try {
      return template.send(dead);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static Throwable rootCause(Throwable failure) {
    Throwable cause = failure;
    while (cause.getCause() != null && cause.getCause() != cause) {
      cause = cause.getCause();
    }
    return cause;
  }

  private static String stackTrace(Throwable failure) {
    StringWriter out = new StringWriter();
    failure.printStackTrace(new PrintWriter(out));
    String text = out.toString();
    return text.length() <= MAX_STACKTRACE_CHARS ? text : text.substring(0, MAX_STACKTRACE_CHARS);
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
