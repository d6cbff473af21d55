package io.jindouyun.support.backoff;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * Jittered exponential backoff with a ceiling: attempt {@code n} (0-based) waits a random time in
 * {@code [(1 - jitter) * d, d]} where {@code d = min(max, initial * multiplier^n)}.
 *
 * <p>Immutable and thread-safe; the caller keeps the attempt count.
 *
 * @param initial delay of the first retry
 * @param max ceiling of every delay
 * @param multiplier growth per attempt, at least 1
 * @param jitter fraction of the delay that is randomised, 0..1 (0.5 = "equal jitter")
 */
public record Backoff(Duration initial, Duration max, double multiplier, double jitter) {

  /** 100 ms doubling up to 5 s, half of each delay random. */
  public static final Backoff DEFAULT = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5));

  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("need 0 < initial <= max: " + initial + ", " + max);
    }
    if (multiplier < 1 || jitter < 0 || jitter > 1) {
      throw new IllegalArgumentException("need multiplier >= 1 and 0 <= jitter <= 1");
    }
  }

  /** Doubling, half jitter. */
  public Backoff(Duration initial, Duration max) {
    this(initial, max, 2.0, 0.5);
  }

  /** The ceiling for attempt {@code attempt} before jitter. */
  public Duration ceiling(int attempt) {
    double millis = initial.toMillis() * Math.pow(multiplier, Math.max(0, Math.min(attempt, 62)));
    return Duration.ofMillis((long) Math.min(max.toMillis(), millis));
  }

  /** The delay before retry {@code attempt} (0-based), drawing jitter from {@code random} [0,1). */
  public Duration delay(int attempt, DoubleSupplier random) {
    long ceiling = ceiling(attempt).toMillis();
    long floor = (long) (ceiling * (1 - jitter));
    return Duration.ofMillis(floor + (long) ((ceiling - floor) * random.getAsDouble()));
  }

  /** The delay before retry {@code attempt}, with thread-local randomness. */
  public Duration delay(int attempt) {
    return delay(attempt, () -> java.util.concurrent.ThreadLocalRandom.current().nextDouble());
  }
}
