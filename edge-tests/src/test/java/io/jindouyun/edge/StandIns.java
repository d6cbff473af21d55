package io.jindouyun.edge;

import static org.awaitility.Awaitility.await;

import io.jindouyun.edge.StandInIpconfig.Instance;
import io.jindouyun.testkit.NginxExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A stand-in ipconfig and three stand-in gateways gw-a, gw-b and gw-c with the edge in front of
 * them, for the stand-in tests that start one edge per test class. Registered as an extension in a
 * static field: before all tests of the class it starts the stand-ins, then nginx with the real
 * edge configuration (its list from the stand-in ipconfig with a 5 s long-poll wait, all three
 * gateways as the static list); after all tests it stops nginx and closes the stand-ins.
 */
final class StandIns implements BeforeAllCallback, AfterAllCallback {

  private final NginxExtension nginx;
  private StandInIpconfig ipconfig;
  private StandInGateway a;
  private StandInGateway b;
  private StandInGateway c;
  private EdgeClient edge;

  /** Stand-ins that start {@code nginx} (registered in the same class) in front of them. */
  StandIns(NginxExtension nginx) {
    this.nginx = nginx;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    ipconfig = new StandInIpconfig();
    a = new StandInGateway("gw-a");
    b = new StandInGateway("gw-b");
    c = new StandInGateway("gw-c");
    EdgeConf conf =
        new EdgeConf().ipconfig(ipconfig.url()).staticGateways(gateways()).set("poll_wait", "5");
    nginx.start(conf.text(), conf.values());
    edge = new EdgeClient(nginx.port());
  }

  /** Stops nginx, then closes the stand-ins started (each on a best-effort basis). */
  @Override
  public void afterAll(ExtensionContext context) {
    nginx.stop();
    for (AutoCloseable closeable : new AutoCloseable[] {ipconfig, a, b, c}) {
      try {
        if (closeable != null) {
          closeable.close();
        }
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  StandInIpconfig ipconfig() {
    return ipconfig;
  }

  StandInGateway a() {
    return a;
  }

  StandInGateway b() {
    return b;
  }

  StandInGateway c() {
    return c;
  }

  /** gw-a, gw-b and gw-c. */
  List<StandInGateway> gateways() {
    return List.of(a, b, c);
  }

  /** A client of the edge (nginx) in front of the stand-ins. */
  EdgeClient edge() {
    return edge;
  }

  /** A best list of gw-a, gw-b and gw-c with these weights, in that order. */
  List<Instance> weighted(double weightA, double weightB, double weightC) {
    return List.of(Instance.of(a, weightA), Instance.of(b, weightB), Instance.of(c, weightC));
  }

  /** Publishes a best list and waits (bounded, 5 s) until the edge routes by its version. */
  void publishAndAwait(String strategy, List<Instance> instances) {
    long version = ipconfig.publish(strategy, instances);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> edge.status().path("version").asString().equals(Long.toString(version)));
  }
}
