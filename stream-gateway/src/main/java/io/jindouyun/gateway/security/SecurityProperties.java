package io.jindouyun.gateway.security;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Security settings ({@code jindouyun.security.*}).
 *
 * @param jwtSecret the HS256 secret of user tokens and stream tickets (at least 32 bytes)
 * @param ticketTtl how long a stream ticket is valid
 */
@Validated
@ConfigurationProperties("jindouyun.security")
public record SecurityProperties(
    @DefaultValue("jindouyun-dev-secret-change-me-0123456789abcdef") @Size(min = 32)
        String jwtSecret,
    @DefaultValue("5m") @NotNull Duration ticketTtl) {

  @Override
  public String toString() {
    return "SecurityProperties[jwtSecret=***, ticketTtl=" + ticketTtl + "]";
  }
}
