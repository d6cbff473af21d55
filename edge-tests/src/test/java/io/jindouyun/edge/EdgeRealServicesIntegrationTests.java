package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge in front of the real services: etcd, Kafka, ipconfig-service and two stream-gateways
 * (their exec jars, each its own JVM). Handshakes through the edge reach both gateways; a cancel
 * reaches the owner; a drain override put into etcd moves new traffic within 2 s.
 */
@Timeout(240)
class EdgeRealServicesIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static final List<JavaService> services = new ArrayList<>();
  static int ipconfigPort;
  static int[] gatewayPorts;

  @BeforeAll
  static void start() {
    RealSuite.createTopics(kafka);
    ipconfigPort = FreePorts.next();
    services.add(RealSuite.startIpconfig(ipconfigPort, etcd));
    gatewayPorts = new int[] {FreePorts.next(), FreePorts.next()};
    for (int i = 0; i < 2; i++) {
      services.add(RealSuite.startGateway("gw-" + (i + 1), gatewayPorts[i], etcd, kafka));
    }
    RealSuite.awaitRegistered(services, ipconfigPort, "gw-1", "gw-2");
    EdgeConf conf =
        new EdgeConf()
            .ipconfig("http://127.0.0.1:" + ipconfigPort)
            .staticGateways(
                "gw-1=127.0.0.1:" + gatewayPorts[0] + " gw-2=127.0.0.1:" + gatewayPorts[1])
            .set("poll_wait", "5");
    RealSuite.startEdge(nginx, conf);
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    services.forEach(JavaService::close);
  }

  private static HttpResponse<String> handshake(String user) throws Exception {
    return RealSuite.handshake(nginx.port(), user);
  }

  private static String node(HttpResponse<String> response) {
    return RealSuite.node(response);
  }

  @Test
  void handshakesThroughTheEdgeReachBothRealGatewaysAndCancelReachesTheOwner() throws Exception {
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      HttpResponse<String> response = handshake("user-" + i);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
      String streamId = RealSuite.streamId(response);
      assertThat(streamId).startsWith(node(response) + "~");
      nodes.add(node(response));
      HttpResponse<String> cancel = RealSuite.cancel(nginx.port(), "user-" + i, streamId);
      assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
    }

    assertThat(nodes).contains("gw-1", "gw-2");
  }

  @Test
  void drainOverridePutInEtcdMovesNewHandshakesWithinTwoSeconds() throws Exception {
    long put = System.currentTimeMillis();
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(RealSuite.OVERRIDE, StandardCharsets.UTF_8),
            ByteSequence.from(
                "{\"strategy\":\"drain\",\"drain\":[\"gw-2\"]}", StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
    try {
      await()
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(20))
          .untilAsserted(
              () -> {
                for (int i = 0; i < 10; i++) {
                  assertThat(node(handshake("drain-probe-" + i))).isEqualTo("gw-1");
                }
              });
      long moved = System.currentTimeMillis() - put;
      for (int i = 0; i < 40; i++) {
        HttpResponse<String> response = handshake("drained-" + i);
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(node(response)).isEqualTo("gw-1");
      }
      assertThat(moved).isLessThan(2000);
    } finally {
      etcd.client()
          .getKVClient()
          .delete(ByteSequence.from(RealSuite.OVERRIDE, StandardCharsets.UTF_8))
          .get(5, TimeUnit.SECONDS);
    }
  }
}
