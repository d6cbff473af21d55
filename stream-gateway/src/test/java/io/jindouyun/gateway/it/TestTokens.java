package io.jindouyun.gateway.it;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;

/** Mints HS256 user tokens for tests. */
final class TestTokens {

  static final String SECRET = "jindouyun-dev-secret-change-me-0123456789abcdef";
  static final String ISSUER = "jindouyun-dev";

  private TestTokens() {}

  static String user(String sub) {
    return sign(sub, SECRET, Instant.now().plusSeconds(600));
  }

  static String expired(String sub) {
    return sign(sub, SECRET, Instant.now().minusSeconds(600));
  }

  static String wrongKey(String sub) {
    return sign(
        sub, "another-secret-of-at-least-32-bytes-0123456789", Instant.now().plusSeconds(600));
  }

  /** A token of {@code sub} that never expires: no {@code exp}. */
  static String withoutExpiry(String sub) {
    return sign(new JWTClaimsSet.Builder().issuer(ISSUER).subject(sub).build(), SECRET);
  }

  /** A token of {@code sub} from {@code issuer}. */
  static String issuedBy(String issuer, String sub) {
    return sign(
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(sub)
            .expirationTime(Date.from(Instant.now().plusSeconds(600)))
            .build(),
        SECRET);
  }

  private static String sign(String sub, String secret, Instant exp) {
    return sign(
        new JWTClaimsSet.Builder()
            .issuer(ISSUER)
            .subject(sub)
            .expirationTime(Date.from(exp))
            .build(),
        secret);
  }

  private static String sign(JWTClaimsSet claims, String secret) {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
