package io.jindouyun.gateway.security;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;

/** HS256 tokens with a given payload, for tests. */
final class Hs256 {

  private Hs256() {}

  static String sign(String secret, String claimsJson) {
    try {
      SignedJWT jwt =
          new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), JWTClaimsSet.parse(claimsJson));
      jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
