package io.jindouyun.bench;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Development HS256 tokens, signed with the suite's development secret. */
final class DevTokens {

  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private DevTokens() {}

  static String issue(String secret, String user, long ttlSeconds) {
    long now = Instant.now().getEpochSecond();
    String header = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
    String payload =
        "{\"sub\":\""
            + user
            + "\",\"iss\":\"jindouyun-dev\",\"iat\":"
            + now
            + ",\"exp\":"
            + (now + ttlSeconds)
            + "}";
    String signingInput = b64(header) + "." + b64(payload);
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      byte[] signature = mac.doFinal(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + B64.encodeToString(signature);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e);
    }
  }

  private static String b64(String json) {
    return B64.encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }
}
