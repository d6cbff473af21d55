package io.jindouyun.edge;

import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import java.util.ArrayList;
import java.util.List;

/**
 * The real back end a test class routes to: ipconfig-service and three stream-gateways gw-1..gw-3
 * (exec jars, each its own JVM, registration TTL 2 s so that a SIGKILLed gateway leaves the best
 * list quickly), against the class's own etcd and Kafka. Each test class makes its own and starts
 * it once in {@code @BeforeAll}; {@link #close()} in {@code @AfterAll} stops whatever was started,
 * also after a failed {@link #start}.
 */
final class RealBackend implements AutoCloseable {

  private static final int GATEWAYS = 3;

  private final List<JavaService> services = new ArrayList<>();
  private final JavaService[] gateways = new JavaService[GATEWAYS];
  private final int[] gatewayPorts = new int[GATEWAYS];
  private JavaService ipconfig;
  private int ipconfigPort;

  /**
   * Creates the Kafka topics, starts ipconfig and the gateways, and waits (bounded) until all are
   * alive and ipconfig's best list holds exactly gw-1, gw-2 and gw-3.
   */
  void start(EtcdExtension etcd, KafkaExtension kafka) {
    RealSuite.createTopics(kafka);
    ipconfigPort = FreePorts.next();
    ipconfig = RealSuite.startIpconfig(ipconfigPort, etcd);
    services.add(ipconfig);
    for (int i = 0; i < GATEWAYS; i++) {
      gatewayPorts[i] = FreePorts.next();
      gateways[i] =
          RealSuite.startGateway(
              id(i), gatewayPorts[i], etcd, kafka, "--jindouyun.registration.ttl=2s");
      services.add(gateways[i]);
    }
    RealSuite.awaitRegistered(services, ipconfigPort, "gw-1", "gw-2", "gw-3");
  }

  /** The id of gateway {@code i} (0-based): gw-1, gw-2, gw-3. */
  static String id(int i) {
    return "gw-" + (i + 1);
  }

  JavaService ipconfig() {
    return ipconfig;
  }

  int ipconfigPort() {
    return ipconfigPort;
  }

  /** Gateway {@code i} (0-based; gw-1 is 0). */
  JavaService gateway(int i) {
    return gateways[i];
  }

  /** The HTTP port of gateway {@code i} (0-based; gw-1 is 0). */
  int gatewayPort(int i) {
    return gatewayPorts[i];
  }

  /** The edge's {@code static_gateways} entry of gateway {@code i}: {@code gw-n=127.0.0.1:port}. */
  String staticGateway(int i) {
    return id(i) + "=127.0.0.1:" + gatewayPorts[i];
  }

  /** The {@code static_gateways} entries of all three gateways, space-separated. */
  String staticGateways() {
    List<String> entries = new ArrayList<>();
    for (int i = 0; i < GATEWAYS; i++) {
      entries.add(staticGateway(i));
    }
    return String.join(" ", entries);
  }

  /**
   * An edge configuration that takes its list from this ipconfig (long-poll wait 5 s), with {@code
   * staticGateways} as its static list.
   */
  EdgeConf edgeConf(String staticGateways) {
    return new EdgeConf()
        .ipconfig("http://127.0.0.1:" + ipconfigPort)
        .staticGateways(staticGateways)
        .set("poll_wait", "5");
  }

  /** Stops every service started so far. */
  @Override
  public void close() {
    services.forEach(JavaService::close);
  }
}
