package io.jindouyun.gateway.kafka;

import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * etcd, for the reply partition claim ({@code jindouyun.etcd.*}).
 *
 * @param endpoints etcd client URLs; empty means no claim (the configured partition is used)
 * @param leaseTtl TTL of the lease the claim is attached to (kept alive while running)
 */
@Validated
@ConfigurationProperties("jindouyun.etcd")
public record EtcdProperties(
    @DefaultValue("") List<String> endpoints, @DefaultValue("10s") @NotNull Duration leaseTtl) {

  /** The endpoints without blanks. */
  List<String> urls() {
    return endpoints == null ? List.of() : endpoints.stream().filter(e -> !e.isBlank()).toList();
  }
}
