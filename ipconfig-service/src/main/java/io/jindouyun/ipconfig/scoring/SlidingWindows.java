package io.jindouyun.ipconfig.scoring;

import java.util.Arrays;
import java.util.List;

/**
 * A set of time-bucketed sliding windows over the same series, each series holding running sums of
 * a numerator and a denominator, so that {@link #average} is {@code Σ numerator / Σ denominator}
 * over a window. For a plain average add {@code (value, 1)}; for a rate add {@code (events,
 * trials)}. A sample is added to every window at once.
 *
 * <p>Window {@code w} covers its {@code buckets[w]} most recent buckets of {@code bucketMillis[w]}
 * each, the current (partial) bucket included. Adding a sample is O(windows); moving time forward
 * evicts the buckets that fell out, O(1) per elapsed bucket and at most O(buckets) for any jump
 * (amortised O(1)). A sample older than a window is ignored by that window.
 *
 * <p>Memory layout, for scoring many instances fast: all running sums of all windows sit together
 * at the front of one array (what scoring reads), the bucket cells behind them (what adding and
 * evicting touch), and the per-window head state in one small array. The {@link Shape} is shared by
 * every instance with the same windows.
 *
 * <p>Not thread-safe: the owner confines each instance to one thread or guards it with a lock.
 */
public final class SlidingWindows {

  private static final double EMPTY_EPSILON = 1e-9;
  // Per-window head state in `heads`: newest bucket id, its start and end time, its slot.
  private static final int HEAD = 0;
  private static final int START = 1;
  private static final int END = 2;
  private static final int SLOT = 3;
  private static final int HEAD_FIELDS = 4;

  /**
   * The immutable shape of a window set: bucket length and count of each window, and the number of
   * series; share one per configuration.
   */
  public static final class Shape {
    final long[] bucketMillis;
    final int[] buckets;
    final int series;
    final int[] cellOffset;
    final int size;

    /**
     * @param bucketMillis length of one bucket of each window, &gt; 0
     * @param buckets number of buckets of each window, &gt; 0
     * @param series number of independent series, &gt; 0
     */
    public Shape(long[] bucketMillis, int[] buckets, int series) {
      if (bucketMillis.length == 0 || bucketMillis.length != buckets.length || series <= 0) {
        throw new IllegalArgumentException(
            "need one bucket length and count per window, series > 0");
      }
      this.bucketMillis = bucketMillis.clone();
      this.buckets = buckets.clone();
      this.series = series;
      this.cellOffset = new int[buckets.length];
      int offset = bucketMillis.length * series * 2;
      for (int w = 0; w < buckets.length; w++) {
        if (bucketMillis[w] <= 0 || buckets[w] <= 0) {
          throw new IllegalArgumentException("bucket length and count must be > 0");
        }
        cellOffset[w] = offset;
        offset += buckets[w] * series * 2;
      }
      this.size = offset;
    }

    /** The shape of {@code windows} with one series per {@link Metric}. */
    public static Shape of(List<ScoringPolicy.WindowSpec> windows) {
      long[] millis = new long[windows.size()];
      int[] counts = new int[windows.size()];
      for (int w = 0; w < millis.length; w++) {
        millis[w] = windows.get(w).bucketMillis();
        counts[w] = windows.get(w).buckets();
      }
      return new Shape(millis, counts, Metric.COUNT);
    }

    /**
     * The shape of the recent windows of {@code prediction}: the fast window, then the damped
     * window, with one series per {@link Signal}.
     */
    public static Shape recent(ScoringPolicy.Prediction prediction) {
      ScoringPolicy.WindowSpec fast = prediction.fastWindow();
      ScoringPolicy.WindowSpec damped = prediction.dampedWindow();
      return new Shape(
          new long[] {fast.bucketMillis(), damped.bucketMillis()},
          new int[] {fast.buckets(), damped.buckets()},
          Signal.COUNT);
    }

    /** Number of windows. */
    public int windows() {
      return buckets.length;
    }
  }

  private final Shape shape;
  private final long[] heads;
  // Sums of window w, series s at (w·series + s)·2 (numerator, then denominator); then the cells.
  private final double[] data;

  public SlidingWindows(Shape shape) {
    this.shape = shape;
    this.heads = new long[shape.windows() * HEAD_FIELDS];
    for (int w = 0; w < shape.windows(); w++) {
      heads[w * HEAD_FIELDS + HEAD] = Long.MIN_VALUE;
      heads[w * HEAD_FIELDS + START] = Long.MAX_VALUE;
      heads[w * HEAD_FIELDS + END] = Long.MIN_VALUE;
    }
    this.data = new double[shape.size];
  }

  /** Number of windows. */
  public int windows() {
    return shape.windows();
  }

  /**
   * Adds {@code (numerator, denominator)} to series {@code s} of every window at {@code nowMillis}.
   *
   * @param denominator &gt; 0 (1 for a plain average)
   * @return false when every window ignored the sample as too old
   */
  public boolean add(long nowMillis, int s, double numerator, double denominator) {
    if (!(denominator > 0) || !Double.isFinite(numerator)) {
      throw new IllegalArgumentException("denominator must be > 0 and numerator finite");
    }
    boolean added = false;
    int series = shape.series;
    for (int w = 0; w < shape.windows(); w++) {
      int slot = slotAt(w, nowMillis);
      if (slot < 0) {
        continue;
      }
      accumulate(
          shape.cellOffset[w] + (slot * series + s) * 2,
          (w * series + s) * 2,
          numerator,
          denominator);
      added = true;
    }
    return added;
  }

  /**
   * Adds one sample of every series at once to every window: series {@code s} gets {@code
   * (numerators[s], denominators[s])}, or nothing when {@code denominators[s]} is 0. Cheaper than
   * one {@link #add} per series: each window moves and finds its slot once.
   *
   * @return false when every window ignored the sample as too old
   */
  public boolean addAll(long nowMillis, double[] numerators, double[] denominators) {
    int series = shape.series;
    for (int s = 0; s < series; s++) {
      if (denominators[s] < 0 || !Double.isFinite(numerators[s])) {
        throw new IllegalArgumentException("denominators must be >= 0 and numerators finite");
      }
    }
    boolean added = false;
    for (int w = 0; w < shape.windows(); w++) {
      int slot = slotAt(w, nowMillis);
      if (slot < 0) {
        continue;
      }
      int cell = shape.cellOffset[w] + slot * series * 2;
      int sum = w * series * 2;
      for (int s = 0; s < series; s++, cell += 2, sum += 2) {
        double den = denominators[s];
        if (den > 0) {
          accumulate(cell, sum, numerators[s], den);
        }
      }
      added = true;
    }
    return added;
  }

  /**
   * Adds {@code (numerator, denominator)} to the bucket cell at {@code cell} and its window sum.
   */
  private void accumulate(int cell, int sum, double numerator, double denominator) {
    data[cell] += numerator;
    data[cell + 1] += denominator;
    data[sum] += numerator;
    data[sum + 1] += denominator;
  }

  /** Σ numerator / Σ denominator of series {@code s} in window {@code w}; NaN when empty. */
  public double average(int w, long nowMillis, int s) {
    advance(w, nowMillis);
    int sum = (w * shape.series + s) * 2;
    double den = data[sum + 1];
    return den > EMPTY_EPSILON ? data[sum] / den : Double.NaN;
  }

  /** Σ denominator of series {@code s} in window {@code w} (the sample count for averages). */
  public double weight(int w, long nowMillis, int s) {
    advance(w, nowMillis);
    return data[(w * shape.series + s) * 2 + 1];
  }

  /**
   * Moves window {@code w} to {@code nowMillis} and returns the slot of the bucket {@code
   * nowMillis} falls in, or -1 when that bucket is older than the window.
   */
  private int slotAt(int w, long nowMillis) {
    long id = advance(w, nowMillis);
    int h = w * HEAD_FIELDS;
    int buckets = shape.buckets[w];
    long head = heads[h + HEAD];
    if (id <= head - buckets) {
      return -1;
    }
    int slot = (int) heads[h + SLOT] + (int) (id - head);
    return slot < 0 ? slot + buckets : slot;
  }

  /** Moves window {@code w} to {@code nowMillis}, evicting old buckets; returns its bucket id. */
  private long advance(int w, long nowMillis) {
    int h = w * HEAD_FIELDS;
    if (nowMillis >= heads[h + START] && nowMillis < heads[h + END]) {
      return heads[h + HEAD];
    }
    long bucketMillis = shape.bucketMillis[w];
    long id = Math.floorDiv(nowMillis, bucketMillis);
    long head = heads[h + HEAD];
    if (id <= head) {
      return id;
    }
    int buckets = shape.buckets[w];
    int headSlot = (int) heads[h + SLOT];
    if (head == Long.MIN_VALUE || id - head >= buckets) {
      clearWindow(w);
      headSlot = (int) Math.floorMod(id, (long) buckets);
    } else {
      int steps = (int) (id - head);
      for (int b = 1; b <= steps; b++) {
        int slot = headSlot + b;
        clearSlot(w, slot >= buckets ? slot - buckets : slot);
      }
      headSlot = headSlot + steps >= buckets ? headSlot + steps - buckets : headSlot + steps;
    }
    heads[h + HEAD] = id;
    heads[h + SLOT] = headSlot;
    heads[h + START] = id * bucketMillis;
    heads[h + END] = id * bucketMillis + bucketMillis;
    return id;
  }

  private void clearSlot(int w, int slot) {
    int series = shape.series;
    int base = shape.cellOffset[w] + slot * series * 2;
    int sums = w * series * 2;
    for (int s = 0; s < series; s++) {
      int cell = base + s * 2;
      int sum = sums + s * 2;
      data[sum] -= data[cell];
      data[sum + 1] -= data[cell + 1];
      data[cell] = 0;
      data[cell + 1] = 0;
      if (data[sum + 1] <= EMPTY_EPSILON) {
        // Every denominator is > 0, so an empty sum is exactly zero: drop the rounding residue.
        data[sum] = 0;
        data[sum + 1] = 0;
      }
    }
  }

  private void clearWindow(int w) {
    int series = shape.series;
    Arrays.fill(data, w * series * 2, (w + 1) * series * 2, 0);
    int from = shape.cellOffset[w];
    Arrays.fill(data, from, from + shape.buckets[w] * series * 2, 0);
  }
}
