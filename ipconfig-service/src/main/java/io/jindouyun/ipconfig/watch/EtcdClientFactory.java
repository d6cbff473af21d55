package io.jindouyun.ipconfig.watch;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.ClientBuilder;
import io.jindouyun.ipconfig.config.IpconfigProperties;
import java.io.File;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/**
 * Builds ipconfig's jetcd client from its etcd settings: endpoints and connect timeout; user and
 * password when a user is set (etcd's auth); client TLS when a CA or a certificate and key are set
 * (the same settings as the other services' {@code jindouyun.etcd.*}, which they default to).
 */
public final class EtcdClientFactory {

  private EtcdClientFactory() {}

  /**
   * A client for {@code etcd}; the caller closes it.
   *
   * @throws IllegalArgumentException when only one of cert and key is set or a TLS file is unusable
   */
  public static Client build(IpconfigProperties.Etcd etcd) {
    ClientBuilder builder =
        Client.builder()
            .endpoints(etcd.endpoints().toArray(String[]::new))
            .connectTimeout(etcd.connectTimeout());
    if (!etcd.user().isBlank()) {
      builder
          .user(ByteSequence.from(etcd.user(), StandardCharsets.UTF_8))
          .password(ByteSequence.from(etcd.password(), StandardCharsets.UTF_8));
    }
    IpconfigProperties.Tls tls = etcd.tls();
    boolean withCa = given(tls.ca());
    boolean withCert = given(tls.cert());
    if (withCert != given(tls.key())) {
      throw new IllegalArgumentException(
          "jindouyun.ipconfig.etcd.tls.cert and .key go together: set both or neither");
    }
    if (withCa || withCert) {
      try {
        builder.sslContext(
            ssl -> {
              if (withCa) {
                ssl.trustManager(new File(tls.ca()));
              }
              if (withCert) {
                ssl.keyManager(new File(tls.cert()), new File(tls.key()));
              }
            });
      } catch (SSLException | IllegalArgumentException e) {
        throw new IllegalArgumentException("the etcd TLS files are unusable: " + e, e);
      }
    }
    return builder.build();
  }

  private static boolean given(String path) {
    return path != null && !path.isBlank();
  }
}
