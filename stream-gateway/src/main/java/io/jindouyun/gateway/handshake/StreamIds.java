package io.jindouyun.gateway.handshake;

import java.security.SecureRandom;
import java.util.Base64;

/**
 * Stream ids: {@code <node>~<16 random bytes, base64url without padding>}, the node being a {@link
 * NodeId}. Thread-safe.
 */
public final class StreamIds {

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  private StreamIds() {}

  /** A new stream id on {@code node}. */
  public static String next(String node) {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return node + "~" + ENCODER.encodeToString(bytes);
  }
}
