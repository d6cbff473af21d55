package io.jindouyun.gateway.metrics;

import java.util.Arrays;

/**
 * The scheduling lags one event loop measured recently: a ring of {@code (time, lag)} samples that
 * overwrites its oldest entry. Sized so that it holds a whole window at the probe's period ({@link
 * #capacityFor}); samples older than the window are ignored when read. Pure.
 *
 * <p>Concurrency: one writer (the loop's own thread) and any readers (a metrics scrape); every
 * method is synchronized. The lock is taken once per probe period by the writer and once per scrape
 * by a reader, so it is never contended in practice.
 */
public final class LagRing {

  private final long[] times;
  private final long[] lags;
  private final long windowNanos;
  // guarded by this
  private int next;
  // guarded by this
  private int size;
  // guarded by this
  private long recorded;

  /**
   * @param capacity samples kept (at least 1)
   * @param windowNanos age beyond which a sample no longer counts
   */
  public LagRing(int capacity, long windowNanos) {
    if (capacity < 1 || windowNanos <= 0) {
      throw new IllegalArgumentException("need capacity >= 1 and a positive window");
    }
    this.times = new long[capacity];
    this.lags = new long[capacity];
    this.windowNanos = windowNanos;
  }

  /** Samples needed to hold {@code window} at one sample every {@code period}, plus one. */
  public static int capacityFor(long windowNanos, long periodNanos) {
    if (windowNanos <= 0 || periodNanos <= 0) {
      throw new IllegalArgumentException("need a positive window and period");
    }
    return (int) Math.min(Integer.MAX_VALUE - 1, (windowNanos + periodNanos - 1) / periodNanos) + 1;
  }

  /** Samples this ring keeps at most. */
  public int capacity() {
    return times.length;
  }

  /** Records that a task due earlier ran {@code lagNanos} late at {@code atNanos}. */
  public synchronized void record(long atNanos, long lagNanos) {
    times[next] = atNanos;
    lags[next] = Math.max(0, lagNanos);
    next = (next + 1) % times.length;
    size = Math.min(size + 1, times.length);
    recorded++;
  }

  /** Samples recorded since the ring was made. */
  public synchronized long recorded() {
    return recorded;
  }

  /**
   * Copies the lags of the samples taken within the window before {@code nowNanos} into {@code
   * into} from {@code offset}; returns how many were copied (at most {@link #capacity()}).
   */
  public synchronized int copyRecent(long nowNanos, long[] into, int offset) {
    int copied = 0;
    for (int i = 0; i < size; i++) {
      if (nowNanos - times[i] <= windowNanos) {
        into[offset + copied++] = lags[i];
      }
    }
    return copied;
  }

  /**
   * The {@code quantile} (0..1, nearest rank) of the first {@code count} values of {@code lags}, in
   * milliseconds; 0 when there are none. Sorts that part of the array.
   */
  public static double percentileMillis(long[] lags, int count, double quantile) {
    if (count <= 0) {
      return 0;
    }
    Arrays.sort(lags, 0, count);
    int rank = (int) Math.ceil(quantile * count);
    return lags[Math.max(0, Math.min(count, rank) - 1)] / 1e6;
  }
}
