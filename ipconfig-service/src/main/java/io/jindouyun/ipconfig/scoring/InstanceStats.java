package io.jindouyun.ipconfig.scoring;

import java.util.Arrays;
import java.util.List;

/**
 * The sliding windows of one instance: one window per configured window, each with one series per
 * {@link Metric}, and two recent windows (the fast window and the damped window of {@link
 * ScoringPolicy.Prediction}) with one series per {@link Signal}. Turns exporter samples into
 * per-metric values: CPU, heap ratio, the larger of in-flight requests and active streams, TTFT
 * when there was traffic, and the error rate from the deltas of the error and request counters
 * between consecutive samples (a counter that goes backwards means a restart: that delta is
 * skipped); and into the signals a chat's TTFT is predicted from.
 *
 * <p>Not thread-safe: owned by the ranking state, which guards it.
 */
public final class InstanceStats {

  /** Index of the fast window among the recent windows. */
  public static final int FAST = 0;

  /** Index of the damped window among the recent windows. */
  public static final int DAMPED = 1;

  private final SlidingWindows windows;
  private final SlidingWindows recent;
  // Scratch for one sample, per metric and per signal; denominator 0 = no value this time.
  private final double[] numerators = new double[Metric.COUNT];
  private final double[] denominators = new double[Metric.COUNT];
  private final double[] signals = new double[Signal.COUNT];
  private final double[] signalCounts = new double[Signal.COUNT];
  private long lastTimestampMillis = Long.MIN_VALUE;
  private long lastReceivedMillis = Long.MIN_VALUE;
  private long lastRequests = -1;
  private long lastErrors = -1;

  /** Creates empty windows shaped by {@code windowSpecs}. */
  public InstanceStats(List<ScoringPolicy.WindowSpec> windowSpecs) {
    this(
        SlidingWindows.Shape.of(windowSpecs),
        SlidingWindows.Shape.recent(ScoringPolicy.Prediction.DEFAULTS));
  }

  /**
   * Creates empty windows of {@code shape} (one series per {@link Metric}) and {@code recentShape}
   * (the fast and the damped window, one series per {@link Signal}); share the shapes.
   */
  public InstanceStats(SlidingWindows.Shape shape, SlidingWindows.Shape recentShape) {
    if (recentShape.windows() != 2 || recentShape.series != Signal.COUNT) {
      throw new IllegalArgumentException("recent windows: fast and damped, one series per signal");
    }
    windows = new SlidingWindows(shape);
    recent = new SlidingWindows(recentShape);
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
    recordSignals(sample, nowMillis);
    lastRequests = sample.requestsTotal();
    lastErrors = sample.errorsTotal();
    return true;
  }

  private void recordSignals(MetricsSample sample, long nowMillis) {
    double[] v = signals;
    double[] n = signalCounts;
    Arrays.fill(n, 0);
    double ttft = sample.seenTtftMillis();
    signal(Signal.TTFT, ttft, ttft > 0);
    signal(Signal.LAG, sample.eventLoopLagMillis(), sample.eventLoopLagMillis() >= 0);
    signal(Signal.HANDSHAKE, sample.avgHandshakeMillis(), sample.avgHandshakeMillis() > 0);
    signal(Signal.LOAD, (double) sample.handshakesInFlight() + sample.activeStreams(), true);
    signal(Signal.THROTTLED, Math.min(1, sample.cpuThrottled()), sample.cpuThrottled() >= 0);
    signal(Signal.GC, sample.gcPauseMillisPerSecond(), sample.gcPauseMillisPerSecond() >= 0);
    signal(Signal.QUEUE_WAIT, sample.avgQueueWaitMillis(), sample.avgQueueWaitMillis() > 0);
    signal(
        Signal.UPSTREAM_TTFT, sample.avgUpstreamTtftMillis(), sample.avgUpstreamTtftMillis() > 0);
    recent.addAll(nowMillis, v, n);
  }

  private void signal(Signal signal, double value, boolean known) {
    if (known) {
      signals[signal.ordinal()] = value;
      signalCounts[signal.ordinal()] = 1;
    }
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

  /**
   * Average of {@code signal} in recent window {@code window} ({@link #FAST} or {@link #DAMPED}) at
   * {@code nowMillis}; NaN when the window holds no value of it.
   */
  public double recent(int window, Signal signal, long nowMillis) {
    return recent.average(window, nowMillis, signal.ordinal());
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
