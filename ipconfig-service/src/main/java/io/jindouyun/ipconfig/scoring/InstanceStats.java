package io.jindouyun.ipconfig.scoring;

import java.util.Arrays;
import java.util.List;

/**
 * The sliding windows of one instance: one {@link SlidingWindow} per configured window, each with
 * one series per {@link Metric}. Turns exporter samples into per-metric values: CPU, heap ratio,
 * the larger of in-flight requests and active streams, TTFT when there was traffic, and the error
 * rate from the deltas of the error and request counters between consecutive samples (a counter
 * that goes backwards means a restart: that delta is skipped).
 *
 * <p>Not thread-safe: owned by the ranking state, which guards it.
 */
public final class InstanceStats {

  private final SlidingWindows windows;
  // Scratch for one sample, per metric; denominator 0 = no value this time.
  private final double[] numerators = new double[Metric.COUNT];
  private final double[] denominators = new double[Metric.COUNT];
  private long lastTimestampMillis = Long.MIN_VALUE;
  private long lastReceivedMillis = Long.MIN_VALUE;
  private long lastRequests = -1;
  private long lastErrors = -1;

  /** Creates empty windows shaped by {@code windowSpecs}. */
  public InstanceStats(List<ScoringPolicy.WindowSpec> windowSpecs) {
    this(SlidingWindows.Shape.of(windowSpecs));
  }

  /** Creates empty windows of {@code shape} (one series per {@link Metric}); share the shape. */
  public InstanceStats(SlidingWindows.Shape shape) {
    windows = new SlidingWindows(shape);
  }

  /**
   * Records {@code sample}, received at {@code nowMillis}.
   *
   * @return false when the sample is not newer than the last one (a replay, e.g. after a resync)
   */
  public boolean record(MetricsSample sample, long nowMillis) {
    if (sample.timestampMillis() <= lastTimestampMillis) {
      return false;
    }
    lastTimestampMillis = sample.timestampMillis();
    lastReceivedMillis = nowMillis;
    double[] num = numerators;
    double[] den = denominators;
    Arrays.fill(den, 0);
    if (sample.processCpu() >= 0) {
      set(Metric.CPU, sample.processCpu(), 1);
    }
    if (sample.heapMaxBytes() > 0) {
      set(Metric.MEMORY, (double) sample.heapUsedBytes() / sample.heapMaxBytes(), 1);
    }
    set(
        Metric.INFLIGHT,
        Math.max(0, Math.max(sample.requestsInFlight(), sample.activeStreams())),
        1);
    if (sample.avgTtftMillis() > 0) {
      set(Metric.TTFT, sample.avgTtftMillis(), 1);
    }
    if (lastRequests >= 0) {
      long requests = sample.requestsTotal() - lastRequests;
      long errors = sample.errorsTotal() - lastErrors;
      if (requests >= 0 && errors >= 0 && requests + errors > 0) {
        set(Metric.ERRORS, errors, Math.max(requests, errors));
      }
    }
    windows.addAll(nowMillis, num, den);
    lastRequests = sample.requestsTotal();
    lastErrors = sample.errorsTotal();
    return true;
  }

  private void set(Metric metric, double numerator, double denominator) {
    numerators[metric.ordinal()] = numerator;
    denominators[metric.ordinal()] = denominator;
  }

  /** Average of {@code metric} in window {@code index} at {@code nowMillis}; NaN when empty. */
  public double average(int index, Metric metric, long nowMillis) {
    return average(index, metric.ordinal(), nowMillis);
  }

  /** As {@link #average(int, Metric, long)} with the metric's ordinal as {@code series}. */
  public double average(int index, int series, long nowMillis) {
    return windows.average(index, nowMillis, series);
  }

  /** Number of windows. */
  public int windowCount() {
    return windows.windows();
  }

  /** Local time the last accepted sample arrived, {@link Long#MIN_VALUE} if none. */
  public long lastReceivedMillis() {
    return lastReceivedMillis;
  }
}
