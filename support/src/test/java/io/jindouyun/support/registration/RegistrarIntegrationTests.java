package io.jindouyun.support.registration;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.testkit.EtcdExtension;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

@Timeout(60)
class RegistrarIntegrationTests {

  private static final Duration TTL = Duration.ofSeconds(2);
  private static final Backoff FAST = new Backoff(Duration.ofMillis(50), Duration.ofMillis(400));

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private Client ownClient;
  private Registrar registrar;

  @AfterEach
  void close() {
    if (registrar != null) {
      registrar.deregister(Duration.ofSeconds(2)).join();
    }
    if (ownClient != null) {
      ownClient.close();
    }
  }

  private Registrar register(String key) {
    ownClient = Client.builder().endpoints(etcd.endpoint()).build();
    registrar =
        new Registrar(ownClient, key, () -> "{\"id\":\"x\"}", TTL, Duration.ofSeconds(2), FAST);
    registrar.start();
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> registrar.state() == Registrar.State.REGISTERED);
    return registrar;
  }

  @Test
  void keyAppearsUnderTheRegistrarsOwnLeaseAndOutlivesTheTtl() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "a");
    register(key);

    assertThat(etcd.read(key))
        .singleElement()
        .satisfies(
            kv -> {
              assertThat(kv.getValue().toString(UTF_8)).isEqualTo("{\"id\":\"x\"}");
              assertThat(kv.getLease()).isEqualTo(registrar.leaseId()).isNotZero();
            });
    // kept alive: still there after twice the TTL
    await()
        .during(TTL.multipliedBy(2))
        .atMost(TTL.multipliedBy(3))
        .until(() -> etcd.read(key).size() == 1);
    assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
  }

  @Test
  void aProcessThatDiesWithoutDeregisteringLosesItsKeyWithinTtlPlusOneSecond() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "b");
    register(key);

    ownClient.close(); // like a kill: no delete, no revoke, keep-alives stop
    long closedAt = System.nanoTime();
    registrar = null;
    ownClient = null;

    await().atMost(TTL.plusSeconds(1)).until(() -> etcd.read(key).isEmpty());
    assertThat(Duration.ofNanos(System.nanoTime() - closedAt)).isLessThan(TTL.plusSeconds(1));
  }

  @Test
  void aRevokedLeaseIsReplacedAndTheKeyPutAgain() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "c");
    register(key);
    long first = registrar.leaseId();

    etcd.client().getLeaseClient().revoke(first).get(5, TimeUnit.SECONDS);

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(etcd.read(key))
                  .singleElement()
                  .satisfies(kv -> assertThat(kv.getLease()).isNotEqualTo(first).isNotZero());
              // the state turns REGISTERED when the put's answer reaches the registrar, which may
              // be a moment after etcd shows the key
              assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
            });
  }

  /**
   * etcd killed and restarted: the registrar gives its lease up as lost while etcd is away, yet
   * etcd restores the key with the old lease on restart; the registrar takes its own key over under
   * a new lease.
   */
  @Test
  void afterEtcdWasDownTheKeyEtcdStillHoldsIsTakenOverUnderANewLease() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "f");
    register(key);
    long first = registrar.leaseId();

    etcd.kill();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> registrar.state() == Registrar.State.RETRYING);
    etcd.start(); // etcd restores the key and renews its lease's TTL: it is still there, ours

    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
              assertThat(etcd.read(key))
                  .singleElement()
                  .satisfies(
                      kv ->
                          assertThat(kv.getLease())
                              .isEqualTo(registrar.leaseId())
                              .isNotEqualTo(first));
            });
    registrar.started().get(1, TimeUnit.SECONDS);
  }

  @Test
  void aKeyHoldingThisProcesssOwnRecordIsTakenOver() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "g");
    long stale = etcd.client().getLeaseClient().grant(30).get(5, TimeUnit.SECONDS).getID();
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(key, UTF_8),
            ByteSequence.from("{\"id\":\"x\"}", UTF_8),
            PutOption.builder().withLeaseId(stale).build())
        .get(5, TimeUnit.SECONDS);

    register(key);

    assertThat(etcd.read(key))
        .singleElement()
        .satisfies(kv -> assertThat(kv.getLease()).isEqualTo(registrar.leaseId()).isNotZero());
  }

  @Test
  void aSecondRegistrarGivesUpOnTheKeyOfALiveInstanceAndLeavesItAlone() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "h");
    register(key);
    long firstLease = registrar.leaseId();

    try (Client other = Client.builder().endpoints(etcd.endpoint()).build()) {
      Registrar second =
          new Registrar(other, key, () -> "{\"id\":\"y\"}", TTL, Duration.ofSeconds(1), FAST);
      second.start();

      // the holder's lease stays alive past its remaining TTL (2 s) plus the grace (1 s + 1 s)
      assertThatThrownBy(() -> second.started().get(15, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause()
          .isInstanceOf(KeyHeldException.class)
          .hasMessageContaining(key)
          .hasMessageContaining("held by another instance");
      assertThat(second.state()).isEqualTo(Registrar.State.STOPPED);
      second.deregister(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
    }

    assertThat(etcd.read(key))
        .singleElement()
        .satisfies(
            kv -> {
              assertThat(kv.getValue().toString(UTF_8)).isEqualTo("{\"id\":\"x\"}");
              assertThat(kv.getLease()).isEqualTo(firstLease);
            });
    assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
  }

  @Test
  void aCrashedPredecessorsKeyIsWaitedOutAndThenTaken() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "i");
    register(key);
    ownClient.close(); // the predecessor dies: its key stays until its lease expires
    ownClient = null;
    registrar = null;

    try (Client other = Client.builder().endpoints(etcd.endpoint()).build()) {
      Registrar second =
          new Registrar(other, key, () -> "{\"id\":\"y\"}", TTL, Duration.ofSeconds(1), FAST);
      second.start();

      second.started().get(15, TimeUnit.SECONDS);
      assertThat(second.state()).isEqualTo(Registrar.State.REGISTERED);
      assertThat(etcd.read(key))
          .singleElement()
          .satisfies(
              kv -> {
                assertThat(kv.getValue().toString(UTF_8)).isEqualTo("{\"id\":\"y\"}");
                assertThat(kv.getLease()).isEqualTo(second.leaseId());
              });
      second.deregister(Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void deregisterLeavesAKeyThatAnotherInstanceTookMeanwhile() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "j");
    register(key);
    etcd.client()
        .getKVClient()
        .put(ByteSequence.from(key, UTF_8), ByteSequence.from("{\"id\":\"other\"}", UTF_8))
        .get(5, TimeUnit.SECONDS);

    registrar.deregister(Duration.ofSeconds(3)).get(5, TimeUnit.SECONDS);
    registrar = null;

    assertThat(etcd.read(key))
        .singleElement()
        .satisfies(kv -> assertThat(kv.getValue().toString(UTF_8)).contains("other"));
  }

  @Test
  void deregisterDeletesTheKeyAndRevokesTheLease() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "e");
    register(key);
    long lease = registrar.leaseId();

    registrar.deregister(Duration.ofSeconds(3)).get(5, TimeUnit.SECONDS);

    assertThat(etcd.read(key)).isEmpty();
    assertThat(registrar.state()).isEqualTo(Registrar.State.STOPPED);
    assertThat(
            etcd.client()
                .getLeaseClient()
                .timeToLive(lease, io.etcd.jetcd.options.LeaseOption.DEFAULT)
                .get(5, TimeUnit.SECONDS)
                .getTTL())
        .isEqualTo(-1);
    registrar = null;
  }
}
