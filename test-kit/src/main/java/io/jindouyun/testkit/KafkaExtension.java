package io.jindouyun.testkit;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * A single-node embedded Kafka broker in KRaft mode on a free loopback port.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
 * kafka.createTopics(12, "chat.jobs", "chat.replies");
 * }</pre>
 *
 * In a static field one broker serves the test class; in an instance field, each test. {@link
 * #stop()} takes the broker away (clients see it unreachable); {@link #start()} brings up a fresh
 * broker and creates again the topics created so far (their records are gone). The embedded KRaft
 * broker picks its own port, so a restarted broker has a new {@link #bootstrapServers()}.
 *
 * <p>Not thread-safe: call it from the test thread.
 */
public final class KafkaExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  private final Map<String, Integer> topics = new LinkedHashMap<>();
  private EmbeddedKafkaKraftBroker broker;
  private boolean perClass;

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop();
    }
  }

  /** Starts a broker on this extension's port (no-op if running) and re-creates known topics. */
  public void start() {
    if (broker != null) {
      return;
    }
    EmbeddedKafkaKraftBroker started = new EmbeddedKafkaKraftBroker(1, 1);
    started.brokerProperties(
        Map.of(
            "group.initial.rebalance.delay.ms", "0",
            "offsets.topic.replication.factor", "1",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1",
            "auto.create.topics.enable", "false",
            "log.cleaner.dedupe.buffer.size", "8388608"));
    started.afterPropertiesSet();
    broker = started;
    if (!topics.isEmpty()) {
      broker.addTopics(
          topics.entrySet().stream()
              .map(e -> new NewTopic(e.getKey(), e.getValue(), (short) 1))
              .toArray(NewTopic[]::new));
    }
  }

  /** Stops the broker; clients then find nothing at {@link #bootstrapServers()}. */
  public void stop() {
    if (broker != null) {
      broker.destroy();
      broker = null;
    }
  }

  /** Whether the broker is up. */
  public boolean isRunning() {
    return broker != null;
  }

  /** {@code host:port} of the running broker. */
  public String bootstrapServers() {
    return broker().getBrokersAsString();
  }

  /** Creates topics with {@code partitions} partitions each; existing ones are left alone. */
  public void createTopics(int partitions, String... names) {
    NewTopic[] fresh =
        Arrays.stream(names)
            .filter(name -> !topics.containsKey(name))
            .map(name -> new NewTopic(name, partitions, (short) 1))
            .toArray(NewTopic[]::new);
    Arrays.stream(names).forEach(name -> topics.putIfAbsent(name, partitions));
    if (broker != null && fresh.length > 0) {
      broker.addTopics(fresh);
    }
  }

  /**
   * A new consumer of raw records (string keys, byte values) outside any group and without commits,
   * for a test to {@code assign} and read topics; the caller closes it.
   */
  public KafkaConsumer<String, byte[]> reader() {
    return new KafkaConsumer<>(
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
            false),
        new StringDeserializer(),
        new ByteArrayDeserializer());
  }

  /** The embedded broker, for admin work the helpers here do not cover. */
  public EmbeddedKafkaKraftBroker broker() {
    if (broker == null) {
      throw new IllegalStateException("the Kafka broker is stopped");
    }
    return broker;
  }
}
