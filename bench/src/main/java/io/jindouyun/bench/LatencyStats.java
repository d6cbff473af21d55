package io.jindouyun.bench;

import org.HdrHistogram.Histogram;

/** Latencies in microseconds; thread-safe by synchronization (recording is rare next to I/O). */
final class LatencyStats {

  private final Histogram histogram = new Histogram(600_000_000L, 3);

  synchronized void recordNanos(long nanos) {
    histogram.recordValue(
        Math.max(0, Math.min(nanos / 1_000, histogram.getHighestTrackableValue())));
  }

  synchronized long count() {
    return histogram.getTotalCount();
  }

  /** The value at {@code percentile} (0–100) in milliseconds. */
  synchronized double millisAt(double percentile) {
    return histogram.getTotalCount() == 0
        ? Double.NaN
        : histogram.getValueAtPercentile(percentile) / 1_000.0;
  }
}
