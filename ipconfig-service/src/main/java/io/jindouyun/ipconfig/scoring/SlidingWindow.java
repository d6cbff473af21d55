package io.jindouyun.ipconfig.scoring;

import java.util.Arrays;

/**
 * A time-bucketed sliding window over several series, each holding running sums of a numerator and
 * a denominator, so that {@link #average} is {@code Σ numerator / Σ denominator} over the window.
 * For a plain average add {@code (value, 1)}; for a rate add {@code (events, trials)}.
 *
 * <p>The window covers the {@code buckets} most recent buckets of {@code bucketMillis} each, the
 * current (partial) bucket included. Adding a sample is O(1); moving time forward evicts the
 * buckets that fell out, O(1) per elapsed bucket and at most O(buckets) for any jump (amortised
 * O(1)). A sample older than the window is ignored.
 *
 * <p>Not thread-safe: the owner confines each instance to one thread or guards it with a lock.
 */
public final class SlidingWindow {

  private static final double EMPTY_EPSILON = 1e-9;

  private final long bucketMillis;
  private final int buckets;
  private final int series;
  // Interleaved (numerator, denominator) pairs: cells per bucket and series, sums per series.
  private final double[] cells;
  private final double[] sums;
  // Head bucket: the newest bucket seen, its slot and time span, cached to avoid divisions.
  private long head = Long.MIN_VALUE;
  private int headSlot;
  private long headStart = Long.MAX_VALUE;
  private long headEnd = Long.MIN_VALUE;

  /**
   * @param bucketMillis length of one bucket, &gt; 0
   * @param buckets number of buckets, &gt; 0; window length = {@code bucketMillis × buckets}
   * @param series number of independent series, &gt; 0
   */
  public SlidingWindow(long bucketMillis, int buckets, int series) {
    if (bucketMillis <= 0 || buckets <= 0 || series <= 0) {
      throw new IllegalArgumentException("bucketMillis, buckets and series must be > 0");
    }
    this.bucketMillis = bucketMillis;
    this.buckets = buckets;
    this.series = series;
    this.cells = new double[buckets * series * 2];
    this.sums = new double[series * 2];
  }

  /** Window length in milliseconds. */
  public long lengthMillis() {
    return bucketMillis * buckets;
  }

  /**
   * Adds {@code (numerator, denominator)} to series {@code s} at time {@code nowMillis}.
   *
   * @param denominator &gt; 0 (1 for a plain average)
   * @return false when the sample is older than the window and was ignored
   */
  public boolean add(long nowMillis, int s, double numerator, double denominator) {
    if (!(denominator > 0) || !Double.isFinite(numerator)) {
      throw new IllegalArgumentException("denominator must be > 0 and numerator finite");
    }
    long id = bucketId(nowMillis);
    advance(id);
    if (id <= head - buckets) {
      return false;
    }
    int slot = headSlot + (int) (id - head);
    if (slot < 0) {
      slot += buckets;
    }
    int i = (slot * series + s) * 2;
    cells[i] += numerator;
    cells[i + 1] += denominator;
    sums[2 * s] += numerator;
    sums[2 * s + 1] += denominator;
    return true;
  }

  /** Σ numerator / Σ denominator of series {@code s} at {@code nowMillis}, or NaN when empty. */
  public double average(long nowMillis, int s) {
    advance(bucketId(nowMillis));
    double den = sums[2 * s + 1];
    return den > EMPTY_EPSILON ? sums[2 * s] / den : Double.NaN;
  }

  /** Σ denominator of series {@code s} at {@code nowMillis} (the sample count for averages). */
  public double weight(long nowMillis, int s) {
    advance(bucketId(nowMillis));
    return sums[2 * s + 1];
  }

  private long bucketId(long nowMillis) {
    if (nowMillis >= headStart && nowMillis < headEnd) {
      return head;
    }
    return Math.floorDiv(nowMillis, bucketMillis);
  }

  private void advance(long id) {
    if (id <= head) {
      return;
    }
    if (head == Long.MIN_VALUE || id - head >= buckets) {
      clearAll();
      headSlot = (int) Math.floorMod(id, (long) buckets);
    } else {
      int steps = (int) (id - head);
      for (int b = 1; b <= steps; b++) {
        int slot = headSlot + b;
        clearSlot(slot >= buckets ? slot - buckets : slot);
      }
      headSlot = headSlot + steps >= buckets ? headSlot + steps - buckets : headSlot + steps;
    }
    head = id;
    headStart = id * bucketMillis;
    headEnd = headStart + bucketMillis;
  }

  private void clearSlot(int slot) {
    int base = slot * series;
    for (int s = 0; s < series; s++) {
      int i = (base + s) * 2;
      sums[2 * s] -= cells[i];
      sums[2 * s + 1] -= cells[i + 1];
      cells[i] = 0;
      cells[i + 1] = 0;
      if (sums[2 * s + 1] <= EMPTY_EPSILON) {
        // Every denominator is > 0, so an empty sum is exactly zero: drop the rounding residue.
        sums[2 * s] = 0;
        sums[2 * s + 1] = 0;
      }
    }
  }

  private void clearAll() {
    Arrays.fill(cells, 0);
    Arrays.fill(sums, 0);
  }
}
