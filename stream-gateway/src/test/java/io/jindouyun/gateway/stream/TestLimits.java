package io.jindouyun.gateway.stream;

import java.time.Duration;

/**
 * Small stream limits for tests: 1,000 bytes per stream, 10,000 bytes in all, 100 users, short
 * deadlines (a lifetime of 100 s).
 */
public final class TestLimits {

  private TestLimits() {}

  /** The limits the stream-map tests are written against. */
  public static StreamLimits small() {
    return withGlobalByteBudget(10_000);
  }

  /** {@link #small()} with another byte budget for all streams together. */
  public static StreamLimits withGlobalByteBudget(long globalByteBudget) {
    return new StreamLimits(
        1000,
        globalByteBudget,
        100,
        2,
        4,
        Duration.ofSeconds(2),
        Duration.ofSeconds(10),
        Duration.ofSeconds(20),
        Duration.ofSeconds(30),
        2,
        Duration.ofSeconds(100));
  }
}
