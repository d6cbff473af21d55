package io.jindouyun.edge;

import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.h2.tools.Server;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real fleet for the test classes of this JVM that use it as it is: etcd, Kafka, H2 (the
 * conversation history's database), ipconfig-service, two stream-gateways ({@code gw-1}, {@code
 * gw-2}) and an llm-consumer (exec jars, each its own JVM), the development LLM in this JVM (24
 * tokens, 50 ms to the first, 20 ms apart, unless a prompt says otherwise) and the edge with the
 * real configuration. The first class that registers it starts it; it stops at {@link #release} or
 * when the tests of the JVM end (JUnit's root store closes it), so every such class after the first
 * saves the fleet's start (about half a minute on two cores).
 *
 * <pre>{@code
 * @RegisterExtension static final RealFleet fleet = new RealFleet();
 * }</pre>
 *
 * <p>A class must leave the fleet as it found it: every override it puts into etcd removed, no
 * process killed or paused (classes that kill a gateway or change its settings start their own).
 * Not thread-safe: used from the test threads, one class at a time.
 */
final class RealFleet implements BeforeAllCallback {

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(RealFleet.class);

  private static ExtensionContext.Store rootStore;
  private Started started;

  @Override
  public void beforeAll(ExtensionContext context) {
    rootStore = context.getRoot().getStore(NAMESPACE);
    started =
        rootStore.computeIfAbsent(Started.class, type -> Started.start(context), Started.class);
  }

  /**
   * Stops the fleet now. The classes that use it run first and one after the other ({@code @Order},
   * {@code junit-platform.properties}); the last of them calls this in its {@code @AfterAll}, so
   * the fleet's JVMs and its broker do not run beside the services of the classes after it. A class
   * that registers the fleet later starts it again.
   */
  static void release() {
    if (rootStore != null) {
      Started running = rootStore.remove(Started.class, Started.class);
      if (running != null) {
        running.close();
      }
    }
  }

  EtcdExtension etcd() {
    return started.etcd;
  }

  KafkaExtension kafka() {
    return started.kafka;
  }

  /** The edge's port. */
  int port() {
    return started.nginx.port();
  }

  DevLlmServer llm() {
    return started.llm;
  }

  int ipconfigPort() {
    return started.ipconfigPort;
  }

  /** The port of {@code gw-(i+1)}. */
  int gatewayPort(int i) {
    return started.gatewayPorts[i];
  }

  /** The running parts; closed by JUnit when the JVM's tests end. */
  private static final class Started implements AutoCloseable {

    final EtcdExtension etcd = new EtcdExtension();
    final KafkaExtension kafka = new KafkaExtension();
    final NginxExtension nginx = new NginxExtension();
    final List<JavaService> services = new ArrayList<>();
    final int[] gatewayPorts = new int[2];
    DevLlmServer llm;
    Server h2;
    int ipconfigPort;

    static Started start(ExtensionContext context) {
      Started s = new Started();
      try {
        s.etcd.beforeAll(context);
        s.kafka.beforeAll(context);
        RealSuite.createTopics(s.kafka);
        s.llm =
            DevLlmServer.start(
                DevLlmSettings.DEFAULTS
                    .withTiming(Duration.ofMillis(50), Duration.ofMillis(20))
                    .withTokens(24));
        s.h2 =
            Server.createTcpServer(
                    "-tcpPort",
                    Integer.toString(FreePorts.next()),
                    "-baseDir",
                    Files.createTempDirectory("jdy-edge-h2-").toString(),
                    "-ifNotExists")
                .start();
        String history =
            "--jindouyun.history.url=r2dbc:h2:tcp://127.0.0.1:" + s.h2.getPort() + "/history";
        s.ipconfigPort = FreePorts.next();
        s.services.add(RealSuite.startIpconfig(s.ipconfigPort, s.etcd));
        StringBuilder statics = new StringBuilder();
        for (int i = 0; i < 2; i++) {
          s.gatewayPorts[i] = FreePorts.next();
          String id = "gw-" + (i + 1);
          s.services.add(RealSuite.startGateway(id, s.gatewayPorts[i], s.etcd, s.kafka, history));
          statics.append(i == 0 ? "" : " ").append(id).append("=127.0.0.1:");
          statics.append(s.gatewayPorts[i]);
        }
        s.services.add(RealSuite.startConsumer(s.etcd, s.kafka, s.llm.baseUrl(), history));
        RealSuite.awaitRegistered(s.services, s.ipconfigPort, "gw-1", "gw-2");
        RealSuite.startEdge(
            s.nginx,
            new EdgeConf()
                .ipconfig("http://127.0.0.1:" + s.ipconfigPort)
                .staticGateways(statics.toString())
                .set("poll_wait", "5"));
        RealSuite.awaitAnswering(s.nginx.port());
        return s;
      } catch (IOException | SQLException e) {
        s.close();
        throw new IllegalStateException("could not start the fleet", e);
      } catch (RuntimeException | Error e) {
        s.close();
        throw e;
      }
    }

    @Override
    public void close() {
      nginx.stop();
      services.forEach(JavaService::close);
      if (llm != null) {
        llm.close();
      }
      if (h2 != null) {
        h2.stop();
      }
      kafka.afterAll(null);
      etcd.afterAll(null);
    }
  }
}
