package io.jindouyun.ipconfig.config;

import io.jindouyun.contract.EtcdKeys;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import org.hibernate.validator.constraints.time.DurationMin;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the ipconfig-service ({@code jindouyun.ipconfig.*}). The ranking itself (windows,
 * weights, services) lives in the file named by {@code config-file}.
 *
 * @param configFile location of {@code ipconfig.yml} (a path, {@code file:} or {@code classpath:})
 * @param etcd how etcd is reached and watched
 * @param longPoll bounds of {@code ?wait=} long-polls
 * @param recompute when best lists are recomputed
 * @param maxInstancesPerService bound on registered instances (and metric windows) per service
 * @param instanceNetworks CIDR blocks an instance record's host must be in (an IP literal); a
 *     record outside them is refused with a log line. Default: loopback and the private ranges
 */
@Validated
@ConfigurationProperties("jindouyun.ipconfig")
public record IpconfigProperties(
    @DefaultValue("classpath:ipconfig.yml") @NotBlank String configFile,
    @DefaultValue @Valid @NotNull Etcd etcd,
    @DefaultValue @Valid @NotNull LongPoll longPoll,
    @DefaultValue @Valid @NotNull Recompute recompute,
    @DefaultValue("20000") @Min(1) int maxInstancesPerService,
    @DefaultValue({
          "127.0.0.0/8",
          "10.0.0.0/8",
          "172.16.0.0/12",
          "192.168.0.0/16",
          "::1/128",
          "fc00::/7"
        })
        @NotEmpty
        List<@NotBlank String> instanceNetworks) {

  /**
   * etcd connection.
   *
   * @param endpoints etcd client URLs
   * @param root key root under which instances/, metrics/ and overrides/ live
   * @param connectTimeout bound on establishing a connection
   * @param requestTimeout bound on each read and probe
   * @param probeInterval how often etcd is probed (also the first reconnect delay)
   * @param maxBackoff longest delay between reconnect attempts
   * @param user etcd user (etcd's auth), blank for none
   * @param password the user's password
   * @param tls client TLS: {@code ca}, {@code cert} and {@code key} PEM files (the key in PKCS#8)
   */
  public record Etcd(
      @DefaultValue("http://127.0.0.1:2379") @NotEmpty List<@NotBlank String> endpoints,
      @DefaultValue(EtcdKeys.DEFAULT_ROOT) @NotBlank String root,
      @DefaultValue("2s") @NotNull @DurationMin(millis = 1) Duration connectTimeout,
      @DefaultValue("2s") @NotNull @DurationMin(millis = 1) Duration requestTimeout,
      @DefaultValue("1s") @NotNull @DurationMin(millis = 1) Duration probeInterval,
      @DefaultValue("5s") @NotNull @DurationMin(millis = 1) Duration maxBackoff,
      @DefaultValue("") String user,
      @DefaultValue("") String password,
      @DefaultValue Tls tls) {

    @Override
    public String toString() {
      return "Etcd[endpoints="
          + endpoints
          + ", root="
          + root
          + ", user="
          + user
          + ", password="
          + (password.isEmpty() ? "" : "***")
          + ", tls="
          + tls
          + "]";
    }
  }

  /**
   * etcd client TLS; all unset (or blank) = plain connections.
   *
   * @param ca the CA certificate (PEM) the server's certificate must chain to
   * @param cert this client's certificate (PEM), with {@code key}
   * @param key this client's private key (PKCS#8 PEM)
   */
  public record Tls(String ca, String cert, String key) {}

  /**
   * Long-poll bounds.
   *
   * @param maxWaiters most requests waiting at once; more are answered 503
   * @param maxWait longest {@code ?wait=} honoured (longer values are cut to this)
   */
  public record LongPoll(
      @DefaultValue("1024") @Min(1) int maxWaiters,
      @DefaultValue("60s") @NotNull @DurationMin(millis = 1) Duration maxWait) {}

  /**
   * Recompute timing.
   *
   * @param coalesce delay between a change and its recompute; changes within it share one
   * @param interval period of the unconditional recompute
   */
  public record Recompute(
      @DefaultValue("20ms") @NotNull @DurationMin(millis = 1) Duration coalesce,
      @DefaultValue("1s") @NotNull @DurationMin(millis = 1) Duration interval) {}
}
