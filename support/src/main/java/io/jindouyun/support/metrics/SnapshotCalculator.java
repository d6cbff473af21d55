package io.jindouyun.support.metrics;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;

/**
 * Turns two samples into a {@link MetricsSnapshot}: totals and gauges from the later sample,
 * averages and rates from the difference between the two ("over the last interval").
 *
 * <p>With no earlier sample (a watcher's first snapshot) the interval is 0 and every average and
 * rate is 0. A counter that went backwards (a meter was removed and registered again) counts as no
 * activity for that interval. Pure and stateless.
 */
public final class SnapshotCalculator {

  private SnapshotCalculator() {}

  /** The snapshot for the interval {@code (previous, current]}; previous may be null. */
  public static MetricsSnapshot compute(
      Sample previous, Sample current, String service, String instanceId) {
    MeterTotals now = current.meters();
    ProcessFigures process = current.process();
    MetricsSnapshot.Builder b =
        MetricsSnapshot.newBuilder()
            .setService(service)
            .setInstanceId(instanceId)
            .setTimestampMs(current.wallMillis())
            .setSystemCpu(process.systemCpuLoad())
            .setHeapUsedBytes(process.heapUsedBytes())
            .setHeapMaxBytes(process.heapMaxBytes())
            .setRssBytes(process.rssBytes())
            .setProcessors(process.processors())
            .setRequestsTotal(now.requests())
            .setRequestsInFlight(now.inFlight())
            .setActiveStreams(now.activeStreams())
            .setErrorsTotal(now.errors())
            .setQueueDepth(now.queueDepth())
            .setConsumerLag(now.consumerLag());
    long nanos = previous == null ? 0 : current.monotonicNanos() - previous.monotonicNanos();
    if (nanos <= 0) {
      return b.setIntervalMs(0).setProcessCpu(process.processCpuLoad()).build();
    }
    MeterTotals before = previous.meters();
    return b.setIntervalMs(nanos / 1_000_000)
        .setProcessCpu(
            cpu(
                process.cpuTimeNanos(),
                previous.process().cpuTimeNanos(),
                nanos,
                process.processors(),
                process.processCpuLoad()))
        .setAvgLatencyMs(
            average(
                now.requestTimeMs() - before.requestTimeMs(), now.requests() - before.requests()))
        .setAvgTtftMs(
            average(now.ttftTimeMs() - before.ttftTimeMs(), now.ttftCount() - before.ttftCount()))
        .setTokensPerSecond(rate(now.tokens() - before.tokens(), nanos))
        .build();
  }

  /** Mean time per event, 0 when there was none or the counters went backwards. */
  static double average(double deltaTime, long deltaCount) {
    return deltaCount > 0 && deltaTime >= 0 ? deltaTime / deltaCount : 0;
  }

  /** Events per second, 0 when there was none or the counter went backwards. */
  static double rate(double deltaCount, long nanos) {
    return deltaCount > 0 && nanos > 0 ? deltaCount * 1e9 / nanos : 0;
  }

  /** Share of all processors this process used over the interval, 0..1. */
  static double cpu(long cpuNow, long cpuBefore, long nanos, int processors, double fallback) {
    if (cpuNow < 0 || cpuBefore < 0 || processors <= 0 || cpuNow < cpuBefore) {
      return fallback;
    }
    return Math.min(1.0, (double) (cpuNow - cpuBefore) / ((double) nanos * processors));
  }
}
