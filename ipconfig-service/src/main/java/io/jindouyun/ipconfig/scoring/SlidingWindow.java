package io.jindouyun.ipconfig.scoring;

/**
 * One time-bucketed sliding window over several series: a {@link SlidingWindows} of one window, see
 * there for the semantics. {@link #average} is {@code Σ numerator / Σ denominator} over the {@code
 * buckets} most recent buckets of {@code bucketMillis}; adding a sample is O(1), evicting amortised
 * O(1).
 *
 * <p>Not thread-safe: the owner confines each instance to one thread or guards it with a lock.
 */
public final class SlidingWindow {

  private final SlidingWindows window;
  private final long lengthMillis;

  /**
   * @param bucketMillis length of one bucket, &gt; 0
   * @param buckets number of buckets, &gt; 0; window length = {@code bucketMillis × buckets}
   * @param series number of independent series, &gt; 0
   */
  public SlidingWindow(long bucketMillis, int buckets, int series) {
    this.window =
        new SlidingWindows(
            new SlidingWindows.Shape(new long[] {bucketMillis}, new int[] {buckets}, series));
    this.lengthMillis = bucketMillis * buckets;
  }

  /** Window length in milliseconds. */
  public long lengthMillis() {
    return lengthMillis;
  }

  /**
   * Adds {@code (numerator, denominator)} to series {@code s} at time {@code nowMillis}.
   *
   * @param denominator &gt; 0 (1 for a plain average)
   * @return false when the sample is older than the window and was ignored
   */
  public boolean add(long nowMillis, int s, double numerator, double denominator) {
    return window.add(nowMillis, s, numerator, denominator);
  }

  /** Σ numerator / Σ denominator of series {@code s} at {@code nowMillis}, or NaN when empty. */
  public double average(long nowMillis, int s) {
    return window.average(0, nowMillis, s);
  }

  /** Σ denominator of series {@code s} at {@code nowMillis} (the sample count for averages). */
  public double weight(long nowMillis, int s) {
    return window.weight(0, nowMillis, s);
  }
}
