package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.edge.EdgeClient.Handshake;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.NginxExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge against the real ipconfig-service (its exec jar, own JVM) and a real etcd: stand-in
 * gateways register under {@code /jindouyun/instances/stream-gateway/}, operators' overrides go to
 * {@code /jindouyun/overrides/stream-gateway}, and the edge follows within 2 s.
 */
@Timeout(200)
class EdgeRealIpconfigIntegrationTests {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EdgeRealIpconfigIntegrationTests.class);

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static JavaService ipconfig;
  static List<StandInGateway> gateways;
  static EdgeClient edge;
  static int ipconfigPort;

  @BeforeAll
  static void start() throws Exception {
    gateways =
        List.of(new StandInGateway("gw-a"), new StandInGateway("gw-b"), new StandInGateway("gw-c"));
    for (StandInGateway g : gateways) {
      register(g);
    }
    ipconfigPort = FreePorts.next();
    ipconfig = RealSuite.startIpconfig(ipconfigPort, etcd);
    EdgeConf conf =
        new EdgeConf()
            .ipconfig("http://127.0.0.1:" + ipconfigPort)
            .staticGateways(List.of(gateways.get(0)))
            .set("poll_wait", "5");
    nginx.start(conf.text(), conf.values());
    edge = new EdgeClient(nginx.port());
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              assertThat(ipconfig.isAlive()).withFailMessage(ipconfig::tail).isTrue();
              assertThat(edge.status().path("source").asString()).isEqualTo("ipconfig");
              assertThat(edge.status().path("instances").size()).isEqualTo(3);
            });
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    if (ipconfig != null) {
      ipconfig.close();
    }
    gateways.forEach(StandInGateway::close);
  }

  @AfterEach
  void clearOverride() throws Exception {
    etcd.client()
        .getKVClient()
        .delete(ByteSequence.from(RealSuite.OVERRIDE, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                edge.status().path("instances").size() == 3
                    && edge.status().path("strategy").asString().equals("score"));
  }

  private static void register(StandInGateway g) throws Exception {
    String value =
        new InstanceRecord(
                g.id(),
                "stream-gateway",
                "127.0.0.1",
                g.port(),
                0,
                "",
                "test",
                "2026-01-01T00:00:00Z")
            .toJson();
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(
                EtcdKeys.DEFAULT.instanceKey("stream-gateway", g.id()), StandardCharsets.UTF_8),
            ByteSequence.from(value, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
  }

  @Test
  void handshakesFollowTheRealBestListAcrossThreeGateways() throws Exception {
    List<Handshake> results = edge.handshakes(3_000, 4);

    assertThat(results).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    Map<String, Integer> split = EdgeClient.byNode(results);
    double total = 0;
    for (var w : edge.status().path("instances")) {
      total += w.path("weight").asDouble();
    }
    for (var w : edge.status().path("instances")) {
      double expected = w.path("weight").asDouble() / total;
      double got = split.getOrDefault(w.path("id").asString(), 0) / 3_000.0;
      assertThat(got)
          .as("share of %s", w.path("id").asString())
          .isBetween(expected * 0.95, expected * 1.05);
    }
  }

  @Test
  void drainOverridePutWithEtcdStopsNewTrafficToTheGatewayWithinTwoSeconds() throws Exception {
    long put = System.currentTimeMillis();
    RealSuite.override(etcd, "{\"strategy\":\"drain\",\"drain\":[\"gw-c\"]}");
    await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(10))
        .until(() -> edge.handshakes(20, 2).stream().noneMatch(h -> "gw-c".equals(h.node())));
    long moved = System.currentTimeMillis() - put;
    LOG.info("etcd drain override to no traffic on gw-c: {} ms", moved);

    List<Handshake> after = edge.handshakes(600, 3);
    assertThat(after).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    assertThat(EdgeClient.byNode(after)).containsOnlyKeys("gw-a", "gw-b");
    assertThat(moved).isLessThan(2000);
  }

  @Test
  void hashOverrideKeepsEachUserOnOneGateway() throws Exception {
    RealSuite.override(etcd, "{\"strategy\":\"hash\"}");
    await()
        .atMost(Duration.ofSeconds(2))
        .until(() -> edge.status().path("strategy").asString().equals("hash"));

    for (int u = 0; u < 30; u++) {
      String first = edge.handshake("user-" + u).node();
      for (int i = 0; i < 3; i++) {
        assertThat(edge.handshake("user-" + u).node()).isEqualTo(first);
      }
    }
  }
}
