package io.jindouyun.gateway.stream;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Hands out generation numbers: the current time in microseconds, bumped by one when two calls fall
 * into the same microsecond (or the clock steps back), so numbers strictly increase across the
 * whole gateway and therefore per user. Thread-safe, lock-free.
 */
public final class GenerationClock {

  private final LongSupplier micros;
  private final AtomicLong last = new AtomicLong();

  /** A clock reading {@code micros} (microseconds since the epoch). */
  public GenerationClock(LongSupplier micros) {
    this.micros = micros;
  }

  /** A clock on the system wall time. */
  public static GenerationClock system() {
    return new GenerationClock(
        () -> {
          java.time.Instant now = java.time.Instant.now();
          return now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
        });
  }

  /** The next number, strictly greater than every number handed out before. */
  public long next() {
    long now = micros.getAsLong();
    return last.updateAndGet(prev -> Math.max(now, prev + 1));
  }
}
