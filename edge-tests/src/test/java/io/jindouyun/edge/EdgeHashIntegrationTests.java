package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.edge.StandInIpconfig.Instance;
import io.jindouyun.testkit.NginxExtension;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Issue 6, done-when 8: strategy hash keeps each user on one gateway; removal moves only its. */
@Timeout(60)
class EdgeHashIntegrationTests {

  private static final int USERS = 300;

  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static StandInIpconfig ipconfig;
  static StandInGateway a;
  static StandInGateway b;
  static StandInGateway c;
  static EdgeClient edge;

  @BeforeAll
  static void start() {
    ipconfig = new StandInIpconfig();
    a = new StandInGateway("gw-a");
    b = new StandInGateway("gw-b");
    c = new StandInGateway("gw-c");
    EdgeConf conf =
        new EdgeConf()
            .ipconfig(ipconfig.url())
            .staticGateways(List.of(a, b, c))
            .set("poll_wait", "5");
    nginx.start(conf.text(), conf.values());
    edge = new EdgeClient(nginx.port());
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    ipconfig.close();
    a.close();
    b.close();
    c.close();
  }

  private static void publishAndAwait(List<Instance> instances) {
    long version = ipconfig.publish("hash", instances);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> edge.status().path("version").asString().equals(Long.toString(version)));
  }

  private static Map<String, String> nodeByUser() {
    Map<String, String> nodes = new HashMap<>();
    for (int u = 0; u < USERS; u++) {
      EdgeClient.Handshake h = edge.handshake("user-" + u);
      assertThat(h.status()).isEqualTo(202);
      nodes.put("user-" + u, h.node());
    }
    return nodes;
  }

  @Test
  void sameUserAlwaysLandsOnTheSameGatewayAndRemovingOneMovesOnlyItsUsers() {
    publishAndAwait(List.of(Instance.of(a, 1), Instance.of(b, 1), Instance.of(c, 1)));
    assertThat(edge.handshake("x").status()).isEqualTo(202);
    assertThat(nginx.errorLog()).doesNotContain("[error]");

    Map<String, String> first = nodeByUser();
    assertThat(nodeByUser()).isEqualTo(first);
    assertThat(nodeByUser()).isEqualTo(first);
    for (String node : List.of("gw-a", "gw-b", "gw-c")) {
      assertThat(first.values().stream().filter(node::equals).count())
          .as("users on %s", node)
          .isBetween((long) (USERS / 3 * 0.75), (long) (USERS / 3 * 1.25));
    }

    publishAndAwait(List.of(Instance.of(a, 1), Instance.of(b, 1)));
    Map<String, String> after = nodeByUser();

    first.forEach(
        (user, node) -> {
          if (node.equals("gw-c")) {
            assertThat(after.get(user)).as(user).isIn("gw-a", "gw-b");
          } else {
            assertThat(after.get(user)).as(user).isEqualTo(node);
          }
        });
  }
}
