package io.jindouyun.bench;

import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Open-loop arrivals: the start times of a Poisson process at a fixed rate (exponential gaps).
 *
 * <p>Each chat starts at its scheduled time whatever the others are doing, so a slow system meets
 * the same arrivals as a fast one (no coordinated omission). Pure and deterministic for a seed.
 */
final class PoissonSchedule {

  private PoissonSchedule() {}

  /**
   * Arrival offsets in nanoseconds from 0, in increasing order, every one below {@code length}.
   *
   * @param ratePerSecond mean arrivals per second, positive
   * @param limit at most this many arrivals (bounds memory; a rate that asks for more is an error)
   */
  static long[] offsetsNanos(double ratePerSecond, Duration length, long seed, int limit) {
    if (!(ratePerSecond > 0) || Double.isInfinite(ratePerSecond)) {
      throw new IllegalArgumentException("the rate must be positive, got " + ratePerSecond);
    }
    if (length.isNegative()) {
      throw new IllegalArgumentException("the length must not be negative, got " + length);
    }
    long end = length.toNanos();
    SplittableRandom random = new SplittableRandom(seed);
    long[] offsets = new long[16];
    int count = 0;
    double meanGapNanos = 1e9 / ratePerSecond;
    double t = 0;
    while (true) {
      // 1 - u is in (0, 1]: the logarithm is finite
      t += -Math.log(1.0 - random.nextDouble()) * meanGapNanos;
      if (t >= end) {
        return Arrays.copyOf(offsets, count);
      }
      if (count == limit) {
        throw new IllegalArgumentException(
            "more than " + limit + " arrivals at " + ratePerSecond + "/s in " + length);
      }
      if (count == offsets.length) {
        offsets = Arrays.copyOf(offsets, Math.min(limit, offsets.length * 2));
      }
      offsets[count++] = (long) t;
    }
  }
}
