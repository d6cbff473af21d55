package io.jindouyun.gateway.security;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * Issues stream tickets: HS256 JWTs with {@code iss}, {@code sub} (user id), {@code sid} (the one
 * stream id it is good for) and a short expiry. Thread-safe.
 */
public final class TicketIssuer {

  /** A ticket and when it expires. */
  public record Ticket(String token, Instant expiresAt) {}

  private final MACSigner signer;
  private final String issuer;
  private final String audience;
  private final Duration ttl;
  private final Clock clock;

  /**
   * An issuer signing with {@code secret}, tickets valid for {@code ttl}, with {@code iss} {@code
   * issuer} and, unless blank, {@code aud} {@code audience}.
   */
  public TicketIssuer(String secret, String issuer, String audience, Duration ttl, Clock clock) {
    try {
      this.signer = new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
    } catch (JOSEException e) {
      throw new IllegalArgumentException("the JWT secret is too short for HS256", e);
    }
    this.issuer = issuer;
    this.audience = audience;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** A ticket for {@code userId} to read {@code streamId}. */
  public Ticket issue(String userId, String streamId) {
    Instant now = clock.instant();
    Instant expires = now.plus(ttl);
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(userId)
            .claim(Caller.STREAM_CLAIM, streamId)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(expires));
    if (!audience.isBlank()) {
      claims.audience(audience);
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("could not sign a ticket", e);
    }
    return new Ticket(jwt.serialize(), expires.truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }
}
