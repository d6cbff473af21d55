package io.jindouyun.support.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * Builds the jetcd {@link Client} that {@link EtcdProperties} describe: endpoints and connect
 * timeout; user and password when a user is set (etcd's auth: each component's user has a role
 * limited to the keys it writes, see README "etcd: TLS and auth"); client TLS when a CA, a
 * certificate or a key is set.
 */
public final class EtcdClients {

  private EtcdClients() {}

  /** A client for {@code properties}; the caller closes it. */
  public static Client build(EtcdProperties properties) {
    EtcdProperties.Tls tls = properties.tls();
    return build(
        properties.endpoints(),
        properties.connectTimeout(),
        properties.user(),
        properties.password(),
        tls == null ? null : tls.ca(),
        tls == null ? null : tls.cert(),
        tls == null ? null : tls.key());
  }

  /**
   * A client for {@code endpoints}; {@code user} blank = no auth; {@code ca}, {@code cert} and
   * {@code key} PEM file paths, null or blank when not used ({@code cert} and {@code key} go
   * together).
   *
   * @throws IllegalArgumentException when the TLS files are unusable or only one of cert and key is
   *     given
   */
  public static Client build(
      List<String> endpoints,
      Duration connectTimeout,
      String user,
      String password,
      String ca,
      String cert,
      String key) {
    ClientBuilder builder =
        Client.builder()
            .endpoints(endpoints.stream().filter(e -> !e.isBlank()).toArray(String[]::new))
            .connectTimeout(connectTimeout);
    if (user != null && !user.isBlank()) {
      builder
          .user(ByteSequence.from(user, StandardCharsets.UTF_8))
          .password(ByteSequence.from(password == null ? "" : password, StandardCharsets.UTF_8));
    }
    boolean withCa = EtcdProperties.Tls.given(ca);
    boolean withCert = EtcdProperties.Tls.given(cert);
    if (withCert != EtcdProperties.Tls.given(key)) {
      throw new IllegalArgumentException(
          "the etcd client certificate and key go together (tls.cert, tls.key): set both or"
              + " neither");
    }
    if (withCa || withCert) {
      try {
        builder.sslContext(
            ssl -> {
              if (withCa) {
                ssl.trustManager(new File(ca));
              }
              if (withCert) {
                ssl.keyManager(new File(cert), new File(key));
              }
            });
      } catch (SSLException | IllegalArgumentException e) {
        throw new IllegalArgumentException("the etcd TLS files are unusable: " + e, e);
      }
    }
    return builder.build();
  }
}
