package io.jindouyun.bench;

import java.util.OptionalDouble;

/**
 * Finds the highest arrival rate that passes a trial: doubles from a start rate until a trial fails
 * (halves from it while trials fail), then bisects between the highest pass and the lowest failure
 * a fixed number of times. Pure; not thread-safe (one search, one caller).
 */
final class CapacitySearch {

  private final double start;
  private final double min;
  private final double max;
  private int bisectionsLeft;
  private double passed = Double.NaN;
  private double failed = Double.NaN;

  /**
   * @param start the first rate tried
   * @param min no rate below this is tried
   * @param max no rate above this is tried
   * @param bisections trials between the highest pass and the lowest failure once both are known
   */
  CapacitySearch(double start, double min, double max, int bisections) {
    if (!(min > 0 && min <= start && start <= max) || bisections < 0) {
      throw new IllegalArgumentException(
          "need 0 < min <= start <= max and bisections >= 0: " + min + ", " + start + ", " + max);
    }
    this.start = start;
    this.min = min;
    this.max = max;
    this.bisectionsLeft = bisections;
  }

  /** The next rate to try; empty when the search is over. */
  OptionalDouble next() {
    if (Double.isNaN(passed) && Double.isNaN(failed)) {
      return OptionalDouble.of(start);
    }
    if (Double.isNaN(failed)) {
      return passed >= max ? OptionalDouble.empty() : OptionalDouble.of(Math.min(max, passed * 2));
    }
    if (Double.isNaN(passed)) {
      return failed <= min ? OptionalDouble.empty() : OptionalDouble.of(Math.max(min, failed / 2));
    }
    if (bisectionsLeft == 0 || failed / passed < 1.05) {
      return OptionalDouble.empty();
    }
    return OptionalDouble.of((passed + failed) / 2);
  }

  /** Records a trial's outcome at {@code rate}. */
  void record(double rate, boolean ok) {
    boolean bracketed = !Double.isNaN(passed) && !Double.isNaN(failed);
    if (ok) {
      passed = Double.isNaN(passed) ? rate : Math.max(passed, rate);
    } else {
      failed = Double.isNaN(failed) ? rate : Math.min(failed, rate);
    }
    if (bracketed && bisectionsLeft > 0) {
      bisectionsLeft--;
    }
  }

  /** The highest rate that passed; empty when none did. */
  OptionalDouble capacity() {
    return Double.isNaN(passed) ? OptionalDouble.empty() : OptionalDouble.of(passed);
  }
}
