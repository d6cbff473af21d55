package io.jindouyun.support.metrics;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;

/**
 * Turns two samples into a {@link MetricsSnapshot}: totals and gauges from the later sample,
 * averages and rates from the difference between the two ("over the last interval").
 *
 * <p>With no earlier sample (a watcher's first snapshot) the interval is 0 and every average and
 * rate is 0 (the throttled share and the GC pause rate too, or negative where they are unknown). A
 * counter that went backwards (a meter was removed and registered again, a process moved to another
 * cgroup) counts as no activity for that interval. Pure and stateless.
 *
 * <p>The signals that predict a chat's time to first token: {@code event_loop_lag_ms} and {@code
 * handshakes_in_flight} are gauges of the later sample; {@code avg_handshake_ms}, {@code
 * avg_queue_wait_ms} and {@code avg_upstream_ttft_ms} are averages over the interval like {@code
 * avg_ttft_ms}; {@code cpu_throttled} is {@code Δnr_throttled / Δnr_periods} of the cgroup's {@code
 * cpu.stat} (0 when no period elapsed, as without a quota; negative when unreadable in either
 * sample); {@code gc_pause_ms_per_s} is the interval's GC pause time per second (negative when
 * unknown).
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
            .setConsumerLag(now.consumerLag())
            .setEventLoopLagMs(now.eventLoopLagMs())
            .setHandshakesInFlight(now.handshakesActive());
    long nanos = previous == null ? 0 : current.monotonicNanos() - previous.monotonicNanos();
    if (nanos <= 0) {
      return b.setIntervalMs(0)
          .setProcessCpu(process.processCpuLoad())
          .setCpuThrottled(process.cpuStat().known() ? 0 : -1)
          .setGcPauseMsPerS(process.gcPauseMillis() >= 0 ? 0 : -1)
          .build();
    }
    MeterTotals before = previous.meters();
    ProcessFigures earlier = previous.process();
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
        .setAvgHandshakeMs(
            average(
                now.handshakeTimeMs() - before.handshakeTimeMs(),
                now.handshakes() - before.handshakes()))
        .setAvgQueueWaitMs(
            average(
                now.queueWaitTimeMs() - before.queueWaitTimeMs(),
                now.queueWaits() - before.queueWaits()))
        .setAvgUpstreamTtftMs(
            average(
                now.upstreamTtftTimeMs() - before.upstreamTtftTimeMs(),
                now.upstreamTtftCount() - before.upstreamTtftCount()))
        .setCpuThrottled(throttled(earlier.cpuStat(), process.cpuStat()))
        .setGcPauseMsPerS(pausePerSecond(earlier.gcPauseMillis(), process.gcPauseMillis(), nanos))
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

  /**
   * Share of the CFS periods between the two readings in which the group was throttled, 0..1; 0
   * when no period elapsed or the counters went backwards; -1 when either reading is unknown.
   */
  static double throttled(CpuStat before, CpuStat now) {
    if (!before.known() || !now.known()) {
      return -1;
    }
    long periods = now.periods() - before.periods();
    long throttled = now.throttled() - before.throttled();
    if (periods <= 0 || throttled < 0) {
      return 0;
    }
    return Math.min(1.0, (double) throttled / periods);
  }

  /**
   * Milliseconds of GC pause per second of the interval; 0 when the total went backwards; -1 when
   * either total is unknown.
   */
  static double pausePerSecond(long pauseBefore, long pauseNow, long nanos) {
    if (pauseBefore < 0 || pauseNow < 0) {
      return -1;
    }
    return pauseNow >= pauseBefore ? (pauseNow - pauseBefore) * 1e9 / nanos : 0;
  }

  /** Share of all processors this process used over the interval, 0..1. */
  static double cpu(long cpuNow, long cpuBefore, long nanos, int processors, double fallback) {
    if (cpuNow < 0 || cpuBefore < 0 || processors <= 0 || cpuNow < cpuBefore) {
      return fallback;
    }
    return Math.min(1.0, (double) (cpuNow - cpuBefore) / ((double) nanos * processors));
  }
}
