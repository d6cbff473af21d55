package io.jindouyun.support.registration;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
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

  private static List<KeyValue> read(String key) throws Exception {
    return etcd.client()
        .getKVClient()
        .get(ByteSequence.from(key, UTF_8))
        .get(5, TimeUnit.SECONDS)
        .getKvs();
  }

  @Test
  void keyAppearsUnderTheRegistrarsOwnLeaseAndOutlivesTheTtl() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "a");
    register(key);

    assertThat(read(key))
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
        .until(() -> read(key).size() == 1);
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

    await().atMost(TTL.plusSeconds(1)).until(() -> read(key).isEmpty());
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
            () ->
                assertThat(read(key))
                    .singleElement()
                    .satisfies(kv -> assertThat(kv.getLease()).isNotEqualTo(first).isNotZero()));
    assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
  }

  @Test
  void afterEtcdWasDownLongerThanTheTtlTheKeyIsBack() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "d");
    register(key);

    etcd.kill();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> registrar.state() == Registrar.State.RETRYING);
    etcd.start();

    await()
        .atMost(Duration.ofSeconds(15))
        .untilAsserted(
            () -> {
              assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
              assertThat(read(key))
                  .singleElement()
                  .satisfies(kv -> assertThat(kv.getLease()).isEqualTo(registrar.leaseId()));
            });
  }

  @Test
  void deregisterDeletesTheKeyAndRevokesTheLease() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("svc", "e");
    register(key);
    long lease = registrar.leaseId();

    registrar.deregister(Duration.ofSeconds(3)).get(5, TimeUnit.SECONDS);

    assertThat(read(key)).isEmpty();
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
