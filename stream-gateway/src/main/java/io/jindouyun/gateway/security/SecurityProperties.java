package io.jindouyun.gateway.security;

import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Security settings ({@code jindouyun.security.*}).
 *
 * @param jwtSecret the HS256 secret of stream tickets and of user tokens signed here (at least 32
 *     bytes); none by default: the {@code dev} profile sets the development secret, and a gateway
 *     refuses to start with that secret unless the {@code dev} profile is on
 * @param ticketTtl how long a stream ticket is valid
 * @param issuer the {@code iss} every HS256 token must carry (stream tickets are issued with it);
 *     tokens of an identity provider must carry {@code issuerUri} instead when that is set
 * @param audience when not blank, every token's {@code aud} must contain it (stream tickets are
 *     issued with it)
 * @param issuerUri an OpenID Connect issuer: user tokens are then its RS256 (or other asymmetric)
 *     tokens, keys found through {@code <issuer-uri>/.well-known/openid-configuration}, and HS256
 *     tokens are accepted as stream tickets only
 * @param jwkSetUri the identity provider's JWK Set; with {@code issuerUri} it replaces discovery,
 *     alone it turns identity-provider tokens on with their {@code iss} checked against {@code
 *     issuer}
 */
@Validated
@ConfigurationProperties("jindouyun.security")
public record SecurityProperties(
    @Size(min = 32) String jwtSecret,
    @DefaultValue("5m") @NotNull Duration ticketTtl,
    @DefaultValue("jindouyun-dev") @NotBlank String issuer,
    @DefaultValue("") String audience,
    @DefaultValue("") String issuerUri,
    @DefaultValue("") String jwkSetUri) {

  /** Whether user tokens come from an identity provider (issuer-uri or jwk-set-uri is set). */
  public boolean identityProvider() {
    return !issuerUri.isBlank() || !jwkSetUri.isBlank();
  }

  /** The {@code iss} that identity-provider tokens must carry. */
  public String providerIssuer() {
    return issuerUri.isBlank() ? issuer : issuerUri;
  }

  @Override
  public String toString() {
    return "SecurityProperties[jwtSecret=***, ticketTtl="
        + ticketTtl
        + ", issuer="
        + issuer
        + ", audience="
        + audience
        + ", issuerUri="
        + issuerUri
        + ", jwkSetUri="
        + jwkSetUri
        + "]";
  }
}
