package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Three KRaft Kafka nodes (each broker and controller, one JVM each, node ids 1-3) forming one
 * cluster on free loopback ports, set as {@code ./jdy up --ha} sets its brokers
 * (deploy/kafka/ha.properties): a controller quorum of three, replication factor 3 for every topic
 * and internal topic, {@code min.insync.replicas=2}, no unclean leader election, a silent broker
 * fenced after {@link #BROKER_SESSION}. {@link #kill(int)} SIGKILLs a node, {@link #start(int)}
 * starts it again on its ports and data; {@link #leaderOf} and {@link #allInSync} read the
 * partitions' state with the admin client.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaClusterExtension kafka = new KafkaClusterExtension();
 * kafka.createTopics(3, "chat.jobs", "chat.replies");
 * }</pre>
 *
 * <p>Meant for a static field: one cluster per test class. Each node has a 256 MiB heap. Not
 * thread-safe: call it from the test thread.
 */
public final class KafkaClusterExtension implements BeforeAllCallback, AfterAllCallback {

  /** Nodes in the cluster. */
  public static final int NODES = 3;

  /** A node that sends no heartbeat for this long is fenced and its partitions led elsewhere. */
  public static final Duration BROKER_SESSION = Duration.ofSeconds(4);

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(20);

  private final int[] ports = new int[NODES];
  private final int[] controllerPorts = new int[NODES];
  private final ManagedProcess[] processes = new ManagedProcess[NODES];
  private Path dir;
  private Path logback;

  @Override
  public void beforeAll(ExtensionContext context) {
    dir = TempDirs.create("kafka-cluster");
    logback = dir.resolve("logback.xml");
    for (int i = 0; i < NODES; i++) {
      ports[i] = FreePorts.next();
      controllerPorts[i] = FreePorts.next();
    }
    String clusterId = Uuid.randomUuid().toString();
    try {
      Files.writeString(
          logback,
          "<configuration><appender name=\"out\" class=\"ch.qos.logback.core.ConsoleAppender\">"
              + "<encoder><pattern>%d %-5level %logger{20} - %msg%n</pattern></encoder>"
              + "</appender><root level=\"WARN\"><appender-ref ref=\"out\"/></root>"
              + "</configuration>",
          StandardCharsets.UTF_8);
      for (int node = 1; node <= NODES; node++) {
        Files.writeString(config(node), serverProperties(node), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int node = 1; node <= NODES; node++) {
      format(node, clusterId);
      processes[node - 1] =
          new ManagedProcess(
              "kafka-" + node,
              KafkaProcessExtension.java(
                  logback, "-Xmx256m", "kafka.Kafka", config(node).toString()),
              dir.resolve("kafka-" + node + ".log"));
      processes[node - 1].start();
    }
    Waits.until(
        () -> brokersUp() == NODES,
        START_TIMEOUT,
        () -> "Kafka cluster " + bootstrapServers() + " not ready; logs:\n" + tails());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    for (ManagedProcess process : processes) {
      if (process != null) {
        process.stop();
      }
    }
    TempDirs.delete(dir);
  }

  private Path config(int node) {
    return dir.resolve("server-" + node + ".properties");
  }

  private String serverProperties(int node) {
    String voters =
        IntStream.rangeClosed(1, NODES)
            .mapToObj(n -> n + "@127.0.0.1:" + controllerPorts[n - 1])
            .collect(Collectors.joining(","));
    int port = ports[node - 1];
    int controllerPort = controllerPorts[node - 1];
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=" + node,
        "controller.quorum.voters=" + voters,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("data-" + node),
        "default.replication.factor=3",
        "min.insync.replicas=2",
        "offsets.topic.replication.factor=3",
        "offsets.topic.num.partitions=3",
        "transaction.state.log.replication.factor=3",
        "transaction.state.log.min.isr=2",
        "share.coordinator.state.topic.replication.factor=3",
        "share.coordinator.state.topic.min.isr=2",
        "unclean.leader.election.enable=false",
        "broker.session.timeout.ms=" + BROKER_SESSION.toMillis(),
        "broker.heartbeat.interval.ms=1000",
        "auto.create.topics.enable=false",
        "group.initial.rebalance.delay.ms=0",
        "log.cleaner.dedupe.buffer.size=8388608",
        "num.network.threads=1",
        "num.io.threads=2",
        "");
  }

  private void format(int node, String clusterId) {
    ManagedProcess tool =
        new ManagedProcess(
            "kafka-storage-" + node,
            KafkaProcessExtension.java(
                logback,
                "-Xmx128m",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                clusterId,
                "-c",
                config(node).toString()),
            dir.resolve("format-" + node + ".log"));
    tool.start();
    if (!tool.waitFor(START_TIMEOUT)) {
      tool.kill();
      throw new IllegalStateException("formatting Kafka storage timed out:\n" + tool.tail(20));
    }
    if (!Files.isRegularFile(dir.resolve("data-" + node).resolve("meta.properties"))) {
      throw new IllegalStateException("formatting Kafka storage failed:\n" + tool.tail(20));
    }
  }

  private int brokersUp() {
    for (ManagedProcess process : processes) {
      if (!process.isAlive()) {
        throw new IllegalStateException("a Kafka node exited; logs:\n" + tails());
      }
    }
    try (Admin admin = admin()) {
      return admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).size();
    } catch (Exception e) {
      return 0;
    }
  }

  private String tails() {
    return Arrays.stream(processes)
        .filter(p -> p != null)
        .map(p -> p.log().getFileName() + ":\n" + p.tail(15))
        .collect(Collectors.joining("\n"));
  }

  /** {@code 127.0.0.1:<port>,...} of the three brokers. */
  public String bootstrapServers() {
    return Arrays.stream(ports).mapToObj(p -> "127.0.0.1:" + p).collect(Collectors.joining(","));
  }

  /** Creates topics with {@code partitions} partitions each, three replicas each. */
  public void createTopics(int partitions, String... names) {
    try (Admin admin = admin()) {
      admin
          .createTopics(
              Arrays.stream(names).map(n -> new NewTopic(n, partitions, (short) NODES)).toList())
          .all()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException("could not create topics " + Arrays.toString(names), e);
    }
  }

  /** The partitions of {@code topics} as the cluster describes them now. */
  public List<TopicPartitionInfo> partitions(Collection<String> topics) {
    try (Admin admin = admin()) {
      Map<String, TopicDescription> described =
          admin
              .describeTopics(topics)
              .allTopicNames()
              .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      List<TopicPartitionInfo> partitions = new ArrayList<>();
      described.values().forEach(d -> partitions.addAll(d.partitions()));
      return partitions;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException("could not describe topics " + topics, e);
    }
  }

  /**
   * The node (1-3) that leads the most partitions of {@code topics} now (the lowest id of a tie).
   */
  public int leaderOf(Collection<String> topics) {
    int[] led = new int[NODES + 1];
    for (TopicPartitionInfo partition : partitions(topics)) {
      Node leader = partition.leader();
      if (leader != null && leader.id() >= 1 && leader.id() <= NODES) {
        led[leader.id()]++;
      }
    }
    int best = 1;
    for (int node = 2; node <= NODES; node++) {
      if (led[node] > led[best]) {
        best = node;
      }
    }
    return best;
  }

  /** Whether every partition of {@code topics} has a leader and all three replicas in sync. */
  public boolean allInSync(Collection<String> topics) {
    try {
      return partitions(topics).stream()
          .allMatch(p -> p.leader() != null && !p.leader().isEmpty() && p.isr().size() == NODES);
    } catch (IllegalStateException e) {
      return false;
    }
  }

  /** SIGKILLs node {@code node} (1-3): no clean shutdown, no controlled leader move. */
  public void kill(int node) {
    processes[node - 1].kill();
  }

  /** Starts node {@code node} (1-3) again on its ports and data; returns once its port is open. */
  public void start(int node) {
    processes[node - 1].start();
    Waits.until(
        () -> Waits.portOpen(ports[node - 1]),
        START_TIMEOUT,
        () -> "Kafka node " + node + " not listening; log:\n" + processes[node - 1].tail(30));
  }

  /** Whether node {@code node} (1-3) runs. */
  public boolean isRunning(int node) {
    return processes[node - 1].isAlive();
  }

  private Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            3_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            6_000));
  }
}
