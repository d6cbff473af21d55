package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A single-node KRaft Kafka broker (broker and controller in one process) in its own JVM, for the
 * faults an embedded broker cannot take: {@link #pause()} freezes it with SIGSTOP (clients see a
 * broker that accepts nothing and answers nothing) and {@link #resume()} thaws it with SIGCONT,
 * same port, same data. Runs the Kafka server classes of the test's own class path (they come with
 * {@code spring-kafka-test}); storage is formatted in a temporary folder, deleted afterwards.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaProcessExtension kafka = new KafkaProcessExtension();
 * kafka.createTopics(3, "chat.jobs", "chat.replies");
 * }</pre>
 *
 * <p>Meant for a static field: one broker per test class. Start-up takes a few seconds (a JVM). Not
 * thread-safe: call it from the test thread.
 */
public final class KafkaProcessExtension implements BeforeAllCallback, AfterAllCallback {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(20);

  private Path dir;
  private int port;
  private ManagedProcess process;
  private List<String> command;
  private int starts;
  private boolean paused;

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  private void start() {
    dir = TempDirs.create("kafka");
    port = FreePorts.next();
    int controllerPort = FreePorts.next();
    Path config = dir.resolve("server.properties");
    Path logback = dir.resolve("logback.xml");
    try {
      Files.writeString(config, serverProperties(controllerPort), StandardCharsets.UTF_8);
      Files.writeString(
          logback,
          "<configuration><appender name=\"out\" class=\"ch.qos.logback.core.ConsoleAppender\">"
              + "<encoder><pattern>%d %-5level %logger{20} - %msg%n</pattern></encoder>"
              + "</appender><root level=\"WARN\"><appender-ref ref=\"out\"/></root>"
              + "</configuration>",
          StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    format(config, logback);
    command = java(logback, "-Xmx384m", "kafka.Kafka", config.toString());
    launch();
  }

  private void launch() {
    process = new ManagedProcess("kafka", command, dir.resolve("kafka-" + ++starts + ".log"));
    process.start();
    Waits.until(
        this::ready,
        START_TIMEOUT,
        () -> "Kafka on " + bootstrapServers() + " not ready; log:\n" + process.tail(40));
  }

  private String serverProperties(int controllerPort) {
    return String.join(
        "\n",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "auto.create.topics.enable=false",
        "group.initial.rebalance.delay.ms=0",
        "log.cleaner.dedupe.buffer.size=8388608",
        "num.network.threads=1",
        "num.io.threads=2",
        "");
  }

  private void format(Path config, Path logback) {
    ManagedProcess tool =
        new ManagedProcess(
            "kafka-storage",
            java(
                logback,
                "-Xmx128m",
                "kafka.tools.StorageTool",
                "format",
                "-t",
                Uuid.randomUuid().toString(),
                "-c",
                config.toString()),
            dir.resolve("format.log"));
    tool.start();
    if (!tool.waitFor(START_TIMEOUT)) {
      tool.kill();
      throw new IllegalStateException("formatting Kafka storage timed out:\n" + tool.tail(20));
    }
    if (!Files.isRegularFile(dir.resolve("data").resolve("meta.properties"))) {
      throw new IllegalStateException("formatting Kafka storage failed:\n" + tool.tail(20));
    }
  }

  /** A Kafka JVM command: {@code main} with this JVM's class path, C1 only, the serial GC. */
  static List<String> java(Path logback, String heap, String main, String... args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            heap,
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dlogback.configurationFile=" + logback,
            "-cp",
            System.getProperty("java.class.path"),
            main));
    command.addAll(Arrays.asList(args));
    return command;
  }

  private boolean ready() {
    if (!process.isAlive()) {
      throw new IllegalStateException("Kafka exited; log:\n" + process.tail(40));
    }
    if (!Waits.portOpen(port)) {
      return false;
    }
    try (Admin admin = admin()) {
      return !admin.describeCluster().nodes().get(2, TimeUnit.SECONDS).isEmpty();
    } catch (Exception e) {
      return false;
    }
  }

  private void stop() {
    if (process != null) {
      if (paused) {
        resume();
      }
      process.stop();
      process = null;
    }
    TempDirs.delete(dir);
  }

  /** {@code 127.0.0.1:<port>} of the broker. */
  public String bootstrapServers() {
    return "127.0.0.1:" + port;
  }

  /** Creates topics with {@code partitions} partitions each (one replica). */
  public void createTopics(int partitions, String... names) {
    try (Admin admin = admin()) {
      admin
          .createTopics(
              Arrays.stream(names).map(n -> new NewTopic(n, partitions, (short) 1)).toList())
          .all()
          .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (Exception e) {
      throw new IllegalStateException("could not create topics " + Arrays.toString(names), e);
    }
  }

  /** Freezes the broker (SIGSTOP): connections stay open, nothing is answered. */
  public void pause() {
    process.signal("STOP");
    paused = true;
  }

  /** Thaws a paused broker (SIGCONT). */
  public void resume() {
    process.signal("CONT");
    paused = false;
  }

  /** SIGKILLs the broker (no controlled shutdown, no flush) and waits for it to be gone. */
  public void kill() {
    process.kill();
  }

  /** Starts the broker again after {@link #kill}: same ports, same data; waits until it serves. */
  public void restart() {
    if (process.isAlive()) {
      throw new IllegalStateException("the broker still runs");
    }
    launch();
  }

  /** The process id of the broker's JVM. */
  public long pid() {
    return process.pid();
  }

  private Admin admin() {
    return Admin.create(
        Map.of(
            AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            bootstrapServers(),
            AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG,
            5_000,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
            10_000));
  }
}
