package io.jindouyun.support.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.LeaseOption;
import io.jindouyun.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class KeptAliveLeaseIntegrationTests {

  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Duration OP_TIMEOUT = Duration.ofSeconds(1);

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private final List<String> losses = new CopyOnWriteArrayList<>();
  private ScheduledExecutorService executor;
  private Client ownClient;

  @BeforeEach
  void setUp() {
    executor = Executors.newSingleThreadScheduledExecutor();
    ownClient = Client.builder().endpoints(etcd.endpoint()).build();
  }

  @AfterEach
  void tearDown() {
    ownClient.close();
    executor.shutdownNow();
  }

  private KeptAliveLease grant() throws Exception {
    return KeptAliveLease.grant(ownClient, TTL, OP_TIMEOUT, executor, losses::add)
        .get(5, TimeUnit.SECONDS);
  }

  private static long ttlLeft(long id) throws Exception {
    return etcd.client()
        .getLeaseClient()
        .timeToLive(id, LeaseOption.DEFAULT)
        .get(5, TimeUnit.SECONDS)
        .getTTL();
  }

  @Test
  void leaseIsKeptAlivePastItsTtl() throws Exception {
    KeptAliveLease lease = grant();

    // etcd answers the time left in whole seconds, cut down: 0 is a live lease with under a
    // second left (a keep-alive late on a loaded machine), -1 one that is gone
    await()
        .during(TTL.multipliedBy(2))
        .atMost(TTL.multipliedBy(3))
        .until(() -> ttlLeft(lease.id()) >= 0);
    assertThat(losses).isEmpty();
    assertThat(lease.ended()).isFalse();
    lease.close().get(5, TimeUnit.SECONDS);
  }

  @Test
  void closeRevokesTheLeaseAndReportsNoLoss() throws Exception {
    KeptAliveLease lease = grant();

    lease.close().get(5, TimeUnit.SECONDS);

    assertThat(ttlLeft(lease.id())).isEqualTo(-1);
    assertThat(lease.ended()).isTrue();
    // no loss report follows a close, not even after the liveness check's horizon
    await()
        .during(TTL.plus(OP_TIMEOUT).plusMillis(500))
        .atMost(TTL.plus(OP_TIMEOUT).plusSeconds(2))
        .until(losses::isEmpty);
  }

  @Test
  void revokedFromOutsideIsReportedLostOnce() throws Exception {
    KeptAliveLease lease = grant();

    etcd.client().getLeaseClient().revoke(lease.id()).get(5, TimeUnit.SECONDS);

    await().atMost(TTL.plus(OP_TIMEOUT).plusSeconds(2)).until(() -> losses.size() == 1);
    assertThat(losses.get(0)).contains(Long.toHexString(lease.id())).contains("lost");
    assertThat(lease.ended()).isTrue();
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(2))
        .until(() -> losses.size() == 1);
  }

  @Test
  void etcdKilledIsReportedLostWithinTtlPlusOperationTimeout() throws Exception {
    KeptAliveLease lease = grant();

    etcd.kill();
    try {
      await().atMost(TTL.plus(OP_TIMEOUT).plusSeconds(2)).until(() -> losses.size() == 1);
      assertThat(lease.ended()).isTrue();
    } finally {
      etcd.start();
    }
  }

  @Test
  void etcdRestartedPastTheTtlIsReportedLost() throws Exception {
    KeptAliveLease lease = grant();

    etcd.stop();
    try {
      await().atMost(TTL.plus(OP_TIMEOUT).plusSeconds(2)).until(() -> losses.size() == 1);
    } finally {
      etcd.start();
    }
    // the lease expired in etcd while it was down or is expiring now; nothing keeps it alive
    await().atMost(TTL.plusSeconds(3)).until(() -> ttlLeft(lease.id()) == -1);
    assertThat(losses).hasSize(1);
  }

  @Test
  void grantFailsWhenEtcdIsDown() {
    etcd.kill();
    try {
      assertThatThrownBy(
              () ->
                  KeptAliveLease.grant(ownClient, TTL, OP_TIMEOUT, executor, losses::add)
                      .get(5, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class);
    } finally {
      etcd.start();
    }
    assertThat(losses).isEmpty();
  }
}
