package io.jindouyun.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Three members: the leader's death elects another, and the dead one rejoins with what it missed.
 */
@Timeout(60)
class EtcdClusterExtensionIntegrationTests {

  @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();

  private static ByteSequence bytes(String text) {
    return ByteSequence.from(text, UTF_8);
  }

  @Test
  void aKilledLeaderIsReplacedAndRejoinsWithTheWritesItMissed() throws Exception {
    KV kv = etcd.client().getKVClient();
    kv.put(bytes("/t/cluster/before"), bytes("1")).get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> etcd.leader() != 0);
    int leader = etcd.leader();

    etcd.kill(leader);
    assertThat(etcd.isRunning(leader)).isFalse();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> etcd.leader() != 0 && etcd.leader() != leader);
    kv.put(bytes("/t/cluster/during"), bytes("2")).get(10, TimeUnit.SECONDS);

    etcd.start(leader);
    try (Client alone = Client.builder().endpoints(etcd.endpoint(leader)).build()) {
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(
              () ->
                  alone
                          .getKVClient()
                          .get(bytes("/t/cluster/during"))
                          .get(2, TimeUnit.SECONDS)
                          .getCount()
                      == 1);
    }
    assertThat(etcd.endpoints().split(",")).hasSize(EtcdClusterExtension.MEMBERS);
  }
}
