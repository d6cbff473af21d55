package io.jindouyun.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.gateway.sse.StreamOwners;
import io.jindouyun.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Where a gone gateway's streams are served, read from a real etcd. */
@Timeout(30)
class EtcdStreamOwnersIntegrationTests {

  private static final EtcdKeys KEYS = EtcdKeys.DEFAULT;

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private final EtcdStreamOwners owners =
      new EtcdStreamOwners(etcd.client(), "gw-self", HostNetworks.of(HostNetworks.PRIVATE));

  private static void put(String key, String value) throws Exception {
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(key, StandardCharsets.UTF_8),
            ByteSequence.from(value, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
  }

  private static void register(String node, String host) throws Exception {
    put(
        KEYS.instanceKey("stream-gateway", node),
        new InstanceRecord(node, "stream-gateway", host, 8085, 0, "", "", "").toJson());
  }

  @Test
  void aGatewayInTheAllowedNetworksIsProxiedToAndOneOutsideIsNot() throws Exception {
    put(KEYS.replyKey(0), "gw-near");
    put(KEYS.replyKey(1), "gw-far");
    register("gw-near", "10.0.0.7");
    register("gw-far", "203.0.113.9");

    assertThat(owners.locate("gw-near").get(5, TimeUnit.SECONDS))
        .isEqualTo(new StreamOwners.ServedAt("gw-near", "10.0.0.7", 8085));
    assertThat(owners.locate("gw-far").get(5, TimeUnit.SECONDS))
        .isInstanceOf(StreamOwners.Pending.class);
  }
}
