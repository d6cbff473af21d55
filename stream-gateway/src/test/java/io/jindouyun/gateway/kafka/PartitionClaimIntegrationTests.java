package io.jindouyun.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class PartitionClaimIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration TIMEOUT = Duration.ofSeconds(2);

  private final List<PartitionClaim> claims = new ArrayList<>();

  @AfterEach
  void closeClaims() throws Exception {
    claims.forEach(PartitionClaim::close);
    etcd.client()
        .getKVClient()
        .delete(bytes(PartitionClaim.PREFIX), DeleteOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS);
  }

  @Test
  void twoGatewaysClaimDifferentPartitionsAndAThirdFindsNoneFree() throws Exception {
    assertThat(claim("gw-a", 2)).isZero();
    assertThat(claim("gw-b", 2)).isEqualTo(1);
    assertThatThrownBy(() -> claim("gw-c", 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("all 2 reply partitions are claimed");
  }

  @Test
  void aRestartedGatewayWaitsOutItsCrashedPredecessorsLeaseAndClaimsTheSamePartition()
      throws Exception {
    claim("gw-b", 3);
    // the old gw-a process died without closing: its key stays until its lease (2 s) runs out
    long orphan = etcd.client().getLeaseClient().grant(2).get(5, TimeUnit.SECONDS).getID();
    etcd.client()
        .getKVClient()
        .put(
            bytes(PartitionClaim.PREFIX + 1),
            bytes("gw-a"),
            PutOption.builder().withLeaseId(orphan).build())
        .get(5, TimeUnit.SECONDS);

    assertThat(claim("gw-a", 3)).isEqualTo(1);
    assertThat(get(PartitionClaim.PREFIX + 1).getKvs())
        .singleElement()
        .satisfies(kv -> assertThat(kv.getLease()).isEqualTo(claims.get(1).leaseId()));
  }

  @Test
  void aSecondGatewayWithALiveGatewaysIdFailsItsClaimAndLeavesTheKeyAlone() throws Exception {
    claim("gw-a", 2);
    long live = claims.get(0).leaseId();

    assertThatThrownBy(() -> claim("gw-a", 2))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("instance id gw-a is taken");
    claims.get(1).close();

    assertThat(get(PartitionClaim.PREFIX + 0).getKvs())
        .singleElement()
        .satisfies(kv -> assertThat(kv.getLease()).isEqualTo(live));
  }

  @Test
  void aLostLeaseIsReportedAndTheSamePartitionClaimedAgainUnderANewLease() throws Exception {
    claim("gw-x", 3);
    claim("gw-a", 3);
    PartitionClaim claim = claims.get(1);
    long oldLease = claim.leaseId();
    assertThat(claim.partition()).isEqualTo(1);

    etcd.client().getLeaseClient().revoke(oldLease).get(5, TimeUnit.SECONDS);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              GetResponse got = get(PartitionClaim.PREFIX + 1);
              assertThat(got.getKvs()).hasSize(1);
              assertThat(got.getKvs().get(0).getValue().toString(StandardCharsets.UTF_8))
                  .isEqualTo("gw-a");
              assertThat(got.getKvs().get(0).getLease()).isNotEqualTo(oldLease).isNotZero();
              assertThat(claim.leaseId()).isEqualTo(got.getKvs().get(0).getLease());
              assertThat(claim.held()).isTrue();
            });
  }

  @Test
  void aClaimIsNotHeldFromItsLossUntilThePartitionIsClaimedAgain() throws Exception {
    claim("gw-a", 2);
    PartitionClaim claim = claims.get(0);
    assertThat(claim.held()).isTrue();
    // another gateway's key under its own lease: the lost claim cannot take it back
    long other = etcd.client().getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(PartitionClaim.PREFIX + 0, StandardCharsets.UTF_8),
            ByteSequence.from("gw-other", StandardCharsets.UTF_8),
            PutOption.builder().withLeaseId(other).build())
        .get(5, TimeUnit.SECONDS);
    long lost = claim.leaseId();

    etcd.client().getLeaseClient().revoke(lost).get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> !claim.held());
    etcd.client().getLeaseClient().revoke(other).get(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(15)).until(claim::held);
    assertThat(claim.leaseId()).isNotEqualTo(lost);
    claim.close();
    assertThat(claim.held()).isFalse();
  }

  @Test
  void closingFreesTheKeyAtOnce() throws Exception {
    PartitionClaim claim = new PartitionClaim(etcd.client());
    int n = claim.claim("gw-a", 1, Duration.ofSeconds(30), TIMEOUT);
    assertThat(get(PartitionClaim.PREFIX + n).getKvs()).hasSize(1);

    claim.close();

    assertThat(get(PartitionClaim.PREFIX + n).getKvs()).isEmpty();
  }

  private int claim(String node, int partitions) throws Exception {
    PartitionClaim claim = new PartitionClaim(etcd.client());
    claims.add(claim);
    return claim.claim(node, partitions, TTL, TIMEOUT);
  }

  private static GetResponse get(String key) throws Exception {
    return etcd.client().getKVClient().get(bytes(key)).get(5, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
