package io.jindouyun.support.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.Auth;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.registration.Registrar;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.EtcdTls;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * etcd with client TLS (client certificates required) and its own auth on: each component's user
 * has a role limited to the keys it writes (README "etcd: TLS and auth"); the services' client
 * ({@link EtcdClients}) connects with the CA, its certificate and key, and its user and password.
 */
@Timeout(60)
class EtcdSecurityIntegrationTests {

  private static final EtcdKeys KEYS = EtcdKeys.DEFAULT;
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String GATEWAY = "stream-gateway";
  private static final String EXPORTER = "exporter";

  static final EtcdTls tls = EtcdTls.generate(List.of("root", GATEWAY, EXPORTER));

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension(tls, "root");

  @BeforeAll
  static void usersAndRoles() throws Exception {
    Auth auth = etcd.client().getAuthClient();
    user(auth, "root", "root");
    grant(auth, GATEWAY, KEYS.instancesPrefix() + GATEWAY + "/", Permission.Type.READWRITE);
    grant(auth, GATEWAY, KEYS.repliesPrefix(), Permission.Type.READWRITE);
    grant(auth, GATEWAY, KEYS.handoversPrefix(), Permission.Type.READWRITE);
    user(auth, GATEWAY, GATEWAY);
    grant(auth, EXPORTER, KEYS.metricsPrefix(), Permission.Type.READWRITE);
    grant(auth, EXPORTER, KEYS.instancesPrefix(), Permission.Type.READ);
    user(auth, EXPORTER, EXPORTER);
    auth.authEnable().get(5, TimeUnit.SECONDS);
  }

  @AfterAll
  static void removeCertificates() {
    tls.close();
  }

  private static void user(Auth auth, String name, String role) throws Exception {
    // the roles exist by now: etcd's built-in root, the others from grant
    auth.userAdd(bytes(name), bytes(password(name))).get(5, TimeUnit.SECONDS);
    auth.userGrantRole(bytes(name), bytes(role)).get(5, TimeUnit.SECONDS);
  }

  private static void grant(Auth auth, String role, String prefix, Permission.Type type)
      throws Exception {
    if (auth.roleList().get(5, TimeUnit.SECONDS).getRoles().stream().noneMatch(role::equals)) {
      auth.roleAdd(bytes(role)).get(5, TimeUnit.SECONDS);
    }
    auth.roleGrantPermission(bytes(role), bytes(prefix), prefixEnd(prefix), type)
        .get(5, TimeUnit.SECONDS);
  }

  private static String password(String user) {
    return user + "-password-0123456789";
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }

  /** The end of the key range of {@code prefix}: its last byte plus one. */
  private static ByteSequence prefixEnd(String prefix) {
    byte[] end = prefix.getBytes(StandardCharsets.UTF_8);
    end[end.length - 1]++;
    return ByteSequence.from(end);
  }

  /** The client a component builds from its settings: TLS files, user and password. */
  private static Client componentClient(String user, String password) {
    return EtcdClients.build(
        new EtcdProperties(
            List.of(etcd.endpoint()),
            Duration.ofSeconds(2),
            user,
            password,
            new EtcdProperties.Tls(
                tls.ca().toString(),
                tls.clientCert(user).toString(),
                tls.clientKey(user).toString()),
            HostNetworks.PRIVATE));
  }

  private static void put(Client client, String key) throws Exception {
    client.getKVClient().put(bytes(key), bytes("{}")).get(5, TimeUnit.SECONDS);
  }

  @Test
  void theGatewayRegistersItselfAndClaimsItsPartitionButIsRefusedOutsideItsPrefixes()
      throws Exception {
    try (Client client = componentClient(GATEWAY, password(GATEWAY))) {
      String key = KEYS.instanceKey(GATEWAY, "gw-1");
      Registrar registrar =
          new Registrar(
              client,
              key,
              () -> "{\"id\":\"gw-1\"}",
              Duration.ofSeconds(5),
              Duration.ofSeconds(2),
              new Backoff(Duration.ofMillis(50), Duration.ofMillis(200)));
      registrar.start();
      await().atMost(WAIT).until(() -> registrar.state() == Registrar.State.REGISTERED);
      assertThat(etcd.read(key)).hasSize(1);
      put(client, KEYS.replyKey(0));
      put(client, KEYS.handoverKey("gw-0"));

      for (String foreign :
          List.of(
              KEYS.metricsKey(GATEWAY, "gw-1"),
              KEYS.instanceKey("llm-consumer", "llm-1"),
              KEYS.overrideKey(GATEWAY),
              "/elsewhere")) {
        assertThatThrownBy(() -> put(client, foreign))
            .as(foreign)
            .isInstanceOf(ExecutionException.class)
            .hasMessageContaining("permission denied");
      }
      registrar.deregister(Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
      assertThat(etcd.read(key)).isEmpty();
    }
  }

  @Test
  void theExporterWritesMetricsAndReadsInstancesButWritesNoInstance() throws Exception {
    try (Client client = componentClient(EXPORTER, password(EXPORTER))) {
      put(client, KEYS.metricsKey(GATEWAY, "gw-1"));
      assertThat(
              client
                  .getKVClient()
                  .get(bytes(KEYS.instancesPrefix()))
                  .get(5, TimeUnit.SECONDS)
                  .getCount())
          .isZero();
      assertThatThrownBy(() -> put(client, KEYS.instanceKey(GATEWAY, "gw-9")))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("permission denied");
    }
  }

  @Test
  void aWrongPasswordIsRefused() {
    try (Client client = componentClient(GATEWAY, "not-the-password")) {
      assertThatThrownBy(() -> put(client, KEYS.replyKey(1)))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("UNAUTHENTICATED");
    }
  }
}
