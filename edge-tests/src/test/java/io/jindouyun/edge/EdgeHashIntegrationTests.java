package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.edge.StandInIpconfig.Instance;
import io.jindouyun.testkit.NginxExtension;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Issue 6, done-when 8: strategy hash keeps each user on one gateway; removal moves only its. */
@Timeout(60)
class EdgeHashIntegrationTests {

  private static final int USERS = 300;

  @RegisterExtension static final NginxExtension nginx = new NginxExtension();
  @RegisterExtension static final StandIns standIns = new StandIns(nginx);

  private static Map<String, String> nodeByUser() {
    Map<String, String> nodes = new HashMap<>();
    for (int u = 0; u < USERS; u++) {
      EdgeClient.Handshake h = standIns.edge().handshake("user-" + u);
      assertThat(h.status()).isEqualTo(202);
      nodes.put("user-" + u, h.node());
    }
    return nodes;
  }

  @Test
  void sameUserAlwaysLandsOnTheSameGatewayAndRemovingOneMovesOnlyItsUsers() {
    standIns.publishAndAwait("hash", standIns.weighted(1, 1, 1));
    assertThat(standIns.edge().handshake("x").status()).isEqualTo(202);
    assertThat(nginx.errorLog()).doesNotContain("[error]");

    Map<String, String> first = nodeByUser();
    assertThat(nodeByUser()).isEqualTo(first);
    assertThat(nodeByUser()).isEqualTo(first);
    for (String node : List.of("gw-a", "gw-b", "gw-c")) {
      assertThat(first.values().stream().filter(node::equals).count())
          .as("users on %s", node)
          .isBetween((long) (USERS / 3 * 0.75), (long) (USERS / 3 * 1.25));
    }

    standIns.publishAndAwait(
        "hash", List.of(Instance.of(standIns.a(), 1), Instance.of(standIns.b(), 1)));
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
