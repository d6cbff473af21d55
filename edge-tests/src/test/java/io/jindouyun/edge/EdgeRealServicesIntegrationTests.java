package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The edge in front of the real services ({@link RealFleet}: etcd, Kafka, ipconfig-service, two
 * stream-gateways and an llm-consumer, their exec jars, each its own JVM). Handshakes through the
 * edge reach both gateways; a cancel reaches the owner; a drain override put into etcd moves new
 * traffic within 2 s.
 */
@Timeout(240)
@Order(2)
class EdgeRealServicesIntegrationTests {

  @RegisterExtension static final RealFleet fleet = new RealFleet();

  private static HttpResponse<String> handshake(String user) throws Exception {
    return RealSuite.handshake(fleet.port(), user);
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
      HttpResponse<String> cancel = RealSuite.cancel(fleet.port(), "user-" + i, streamId);
      assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
    }

    assertThat(nodes).contains("gw-1", "gw-2");
  }

  @Test
  void drainOverridePutInEtcdMovesNewHandshakesWithinTwoSeconds() throws Exception {
    long put = System.currentTimeMillis();
    fleet
        .etcd()
        .client()
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
      fleet
          .etcd()
          .client()
          .getKVClient()
          .delete(ByteSequence.from(RealSuite.OVERRIDE, StandardCharsets.UTF_8))
          .get(5, TimeUnit.SECONDS);
    }
  }
}
