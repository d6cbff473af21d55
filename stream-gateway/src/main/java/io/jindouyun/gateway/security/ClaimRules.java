package io.jindouyun.gateway.security;

import java.util.ArrayList;
import java.util.List;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2ErrorCodes;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * The claims a token must carry beyond a good signature: {@code exp} (a token without it would
 * never expire), {@code iss} equal to the configured issuer, {@code aud} containing the configured
 * audience when there is one, and — for HS256 tokens while user tokens come from an identity
 * provider — the stream claim of a ticket. Each failure's description says what is wrong; the 401
 * problem shows it. Immutable.
 */
final class ClaimRules implements OAuth2TokenValidator<Jwt> {

  private final String issuer;
  private final String audience;
  private final boolean ticketsOnly;

  /**
   * Rules for tokens of {@code issuer}.
   *
   * @param audience the audience {@code aud} must contain, or blank for none
   * @param ticketsOnly whether only stream tickets (tokens with {@code sid}) pass
   */
  ClaimRules(String issuer, String audience, boolean ticketsOnly) {
    this.issuer = issuer;
    this.audience = audience;
    this.ticketsOnly = ticketsOnly;
  }

  @Override
  public OAuth2TokenValidatorResult validate(Jwt jwt) {
    List<OAuth2Error> errors = new ArrayList<>(1);
    if (jwt.getExpiresAt() == null) {
      errors.add(invalid("the token has no exp claim: tokens must expire"));
    }
    String iss = jwt.getClaimAsString("iss");
    if (!issuer.equals(iss)) {
      errors.add(
          invalid(
              iss == null
                  ? "the token has no iss claim (expected \"" + issuer + "\")"
                  : "the token's iss \"" + iss + "\" is not the configured issuer"));
    }
    if (!audience.isBlank()) {
      List<String> aud = jwt.getAudience();
      if (aud == null || !aud.contains(audience)) {
        errors.add(invalid("the token's aud does not contain \"" + audience + "\""));
      }
    }
    if (ticketsOnly && jwt.getClaimAsString(Caller.STREAM_CLAIM) == null) {
      errors.add(
          invalid("user tokens come from the identity provider: an HS256 token must be a ticket"));
    }
    return errors.isEmpty()
        ? OAuth2TokenValidatorResult.success()
        : OAuth2TokenValidatorResult.failure(errors);
  }

  private static OAuth2Error invalid(String description) {
    return new OAuth2Error(OAuth2ErrorCodes.INVALID_TOKEN, description, null);
  }
}
