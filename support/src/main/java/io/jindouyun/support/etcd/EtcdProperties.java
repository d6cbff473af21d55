package io.jindouyun.support.etcd;

import io.jindouyun.contract.HostNetworks;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The etcd cluster this process talks to.
 *
 * @param endpoints client URLs, e.g. {@code http://127.0.0.1:2379} ({@code https://} with TLS);
 *     empty = no etcd client (and so no self-registration)
 * @param connectTimeout timeout of one connection attempt
 * @param user etcd user of this process (etcd's own auth: users and roles); blank = no auth
 * @param password the user's password
 * @param tls client TLS: the CA that signed the server's certificate and, for client-certificate
 *     auth, this process's certificate and key (PEM files; the key in PKCS#8)
 * @param instanceNetworks CIDR blocks an instance record's host must be in when this process reads
 *     one to connect to it (a gateway proxying to the gateway that serves a stream now); default:
 *     loopback and the private ranges ({@link HostNetworks#PRIVATE})
 */
@Validated
@ConfigurationProperties("jindouyun.etcd")
public record EtcdProperties(
    @DefaultValue({}) List<String> endpoints,
    @DefaultValue("2s") Duration connectTimeout,
    @DefaultValue("") String user,
    @DefaultValue("") String password,
    @DefaultValue Tls tls,
    @DefaultValue({
          "127.0.0.0/8",
          "10.0.0.0/8",
          "172.16.0.0/12",
          "192.168.0.0/16",
          "::1/128",
          "fc00::/7"
        })
        List<String> instanceNetworks) {

  /**
   * Client TLS settings ({@code jindouyun.etcd.tls.*}); all unset = plain connections.
   *
   * @param ca the CA certificate (PEM) that the server's certificate must chain to
   * @param cert this client's certificate (PEM), with {@code key}, for client-certificate auth
   * @param key this client's private key (PKCS#8 PEM)
   */
  public record Tls(String ca, String cert, String key) {

    /** Whether any TLS setting is given. */
    public boolean enabled() {
      return given(ca) || given(cert) || given(key);
    }

    /** Whether {@code path} is set (not null nor blank). */
    public static boolean given(String path) {
      return path != null && !path.isBlank();
    }
  }

  /** Whether a user is set (etcd auth). */
  public boolean authenticated() {
    return !user.isBlank();
  }

  @Override
  public String toString() {
    return "EtcdProperties[endpoints="
        + endpoints
        + ", connectTimeout="
        + connectTimeout
        + ", user="
        + user
        + ", password="
        + (password.isEmpty() ? "" : "***")
        + ", tls="
        + tls
        + ", instanceNetworks="
        + instanceNetworks
        + "]";
  }
}
