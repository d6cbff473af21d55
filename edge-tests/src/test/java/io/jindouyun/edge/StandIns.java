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
 * gateways as the static list, {@link #EPOCH_INTERVAL}); after all tests it stops nginx and closes
 * the stand-ins.
 */
final class StandIns implements BeforeAllCallback, AfterAllCallback {

  /**
   * The edge's {@code epoch_interval}: each nginx worker reads the shared routing epoch at most
   * this often, so a list written to the shared dict reaches every worker's requests at most this
   * late (README, edge settings).
   */
  static final Duration EPOCH_INTERVAL = Duration.ofMillis(10);

  /**
   * Added to {@link #EPOCH_INTERVAL} before every worker must route by a new list. A worker
   * compares {@code ngx.now()}, the clock cached when its event loop last woke (millisecond
   * resolution), with the cached time of its last epoch read; both can trail the real time by the
   * length of an event-loop iteration, which on a loaded test machine (two shared cores, nginx
   * beside JVMs) can take tens of milliseconds. Measured from when the status shows the list, which
   * is after the write, so this margin only has to cover the workers' clocks.
   */
  static final Duration CLOCK_MARGIN = Duration.ofMillis(50);

  /** From the list in the shared dict to every worker routing by it. */
  static final Duration ROUTING_DELAY = EPOCH_INTERVAL.plus(CLOCK_MARGIN);

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
        new EdgeConf()
            .ipconfig(ipconfig.url())
            .staticGateways(gateways())
            .set("poll_wait", "5")
            .set("epoch_interval", Double.toString(EPOCH_INTERVAL.toMillis() / 1000.0));
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

  /**
   * Publishes a best list and waits until every nginx worker routes by its version: until the
   * edge's shared dict holds it (bounded, 5 s), then {@link #ROUTING_DELAY}.
   */
  void publishAndAwait(String strategy, List<Instance> instances) {
    long version = ipconfig.publish(strategy, instances);
    awaitSharedList(version, Duration.ofSeconds(5));
    awaitEveryWorker();
  }

  /**
   * Waits (at most {@code bound}) until {@code GET /_edge/status} shows list {@code version}. The
   * status reads the shared dict, so the list is written there; a worker's requests may still go by
   * the list before for up to {@link #ROUTING_DELAY}.
   */
  void awaitSharedList(long version, Duration bound) {
    await()
        .atMost(bound)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> edge.status().path("version").asString().equals(Long.toString(version)));
  }

  /**
   * Waits out {@link #ROUTING_DELAY}: a call right after {@link #awaitSharedList} returns once
   * every worker routes by that list. There is no condition to poll: which list a worker routes by
   * shows only in the gateway each of its requests reaches.
   */
  static void awaitEveryWorker() {
    await().pollDelay(ROUTING_DELAY).atMost(ROUTING_DELAY.plusSeconds(1)).until(() -> true);
  }
}
