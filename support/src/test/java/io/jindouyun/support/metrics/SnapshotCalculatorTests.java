package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import org.junit.jupiter.api.Test;

class SnapshotCalculatorTests {

  private static final ProcessFigures PROCESS =
      new ProcessFigures(1_000_000_000L, 0.5, 0.25, 100, 1000, 5000, 2, 40, new CpuStat(10, 1));

  private static Sample sample(long seconds, MeterTotals totals, long cpuNanos) {
    return new Sample(
        seconds * 1_000_000_000L,
        1_700_000_000_000L + seconds * 1000,
        totals,
        new ProcessFigures(cpuNanos, 0.5, 0.25, 100, 1000, 5000, 2, -1, CpuStat.UNKNOWN));
  }

  private static Sample sample(long seconds, MeterTotals totals, long gcMillis, CpuStat cpuStat) {
    return new Sample(
        seconds * 1_000_000_000L,
        1_700_000_000_000L + seconds * 1000,
        totals,
        new ProcessFigures(0, 0.5, 0.25, 100, 1000, 5000, 2, gcMillis, cpuStat));
  }

  /** Meters with only the signals set: handshakes, lag, queue waits and upstream first tokens. */
  private static MeterTotals signals(
      long handshakes,
      double handshakeMs,
      long handshakesActive,
      double lagMs,
      long queueWaits,
      double queueWaitMs,
      long upstreamTtfts,
      double upstreamTtftMs) {
    return new MeterTotals(
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        handshakes,
        handshakeMs,
        handshakesActive,
        lagMs,
        queueWaits,
        queueWaitMs,
        upstreamTtfts,
        upstreamTtftMs);
  }

  private static MeterTotals totals(
      long requests, double requestMs, long ttftCount, double ttftMs, double tokens) {
    return new MeterTotals(
        requests, requestMs, 3, 4, 5, ttftCount, ttftMs, tokens, 6, 7, 0, 0, 0, -1, 0, 0, 0, 0);
  }

  @Test
  void firstSnapshotCarriesTotalsAndGaugesButNoIntervalFigures() {
    Sample now = new Sample(5, 1_700_000_000_000L, totals(10, 500, 10, 100, 99), PROCESS);

    MetricsSnapshot s = SnapshotCalculator.compute(null, now, "stream-gateway", "gw-1");

    assertThat(s.getService()).isEqualTo("stream-gateway");
    assertThat(s.getInstanceId()).isEqualTo("gw-1");
    assertThat(s.getTimestampMs()).isEqualTo(1_700_000_000_000L);
    assertThat(s.getIntervalMs()).isZero();
    assertThat(s.getRequestsTotal()).isEqualTo(10);
    assertThat(s.getRequestsInFlight()).isEqualTo(3);
    assertThat(s.getActiveStreams()).isEqualTo(4);
    assertThat(s.getErrorsTotal()).isEqualTo(5);
    assertThat(s.getQueueDepth()).isEqualTo(6);
    assertThat(s.getConsumerLag()).isEqualTo(7);
    assertThat(s.getAvgLatencyMs()).isZero();
    assertThat(s.getAvgTtftMs()).isZero();
    assertThat(s.getTokensPerSecond()).isZero();
    assertThat(s.getProcessCpu()).isEqualTo(0.5);
    assertThat(s.getSystemCpu()).isEqualTo(0.25);
    assertThat(s.getHeapUsedBytes()).isEqualTo(100);
    assertThat(s.getHeapMaxBytes()).isEqualTo(1000);
    assertThat(s.getRssBytes()).isEqualTo(5000);
    assertThat(s.getProcessors()).isEqualTo(2);
    assertThat(s.getCpuThrottled()).isZero();
    assertThat(s.getGcPauseMsPerS()).isZero();
    assertThat(s.getEventLoopLagMs()).isEqualTo(-1);
  }

  @Test
  void averagesCoverOnlyTheLastInterval() {
    Sample before = sample(10, totals(100, 100 * 1000.0, 100, 100 * 500.0, 1000), 0);
    // 4 new requests taking 10, 20, 30, 40 ms; 2 new first tokens at 100 and 300 ms
    Sample now = sample(12, totals(104, 100 * 1000.0 + 100, 102, 100 * 500.0 + 400, 1500), 0);

    MetricsSnapshot s = SnapshotCalculator.compute(before, now, "svc", "id");

    assertThat(s.getIntervalMs()).isEqualTo(2000);
    assertThat(s.getAvgLatencyMs()).isCloseTo(25.0, within(1e-9));
    assertThat(s.getAvgTtftMs()).isCloseTo(200.0, within(1e-9));
    assertThat(s.getTokensPerSecond()).isCloseTo(250.0, within(1e-9));
    assertThat(s.getRequestsTotal()).isEqualTo(104);
  }

  @Test
  void quietIntervalHasZeroAveragesNotTheLifetimeAverage() {
    Sample before = sample(10, totals(100, 50_000, 100, 20_000, 1000), 0);
    Sample now = sample(11, totals(100, 50_000, 100, 20_000, 1000), 0);

    MetricsSnapshot s = SnapshotCalculator.compute(before, now, "svc", "id");

    assertThat(s.getAvgLatencyMs()).isZero();
    assertThat(s.getAvgTtftMs()).isZero();
    assertThat(s.getTokensPerSecond()).isZero();
  }

  @Test
  void countersThatWentBackwardsCountAsNoActivity() {
    Sample before = sample(10, totals(100, 50_000, 100, 20_000, 1000), 0);
    Sample now = sample(11, totals(3, 30, 1, 5, 10), 0);

    MetricsSnapshot s = SnapshotCalculator.compute(before, now, "svc", "id");

    assertThat(s.getAvgLatencyMs()).isZero();
    assertThat(s.getAvgTtftMs()).isZero();
    assertThat(s.getTokensPerSecond()).isZero();
    assertThat(s.getRequestsTotal()).isEqualTo(3);
  }

  @Test
  void processCpuIsTheShareOfAllProcessorsUsedOverTheInterval() {
    // 2 processors, 4 s wall, 2 s of CPU time → 25 %
    Sample before = sample(10, MeterTotals.ZERO, 1_000_000_000L);
    Sample now = sample(14, MeterTotals.ZERO, 3_000_000_000L);

    MetricsSnapshot s = SnapshotCalculator.compute(before, now, "svc", "id");

    assertThat(s.getProcessCpu()).isCloseTo(0.25, within(1e-9));
  }

  @Test
  void unknownCpuTimeFallsBackToTheJvmLoad() {
    Sample before = sample(10, MeterTotals.ZERO, -1);
    Sample now = sample(11, MeterTotals.ZERO, -1);

    assertThat(SnapshotCalculator.compute(before, now, "svc", "id").getProcessCpu()).isEqualTo(0.5);
  }

  @Test
  void signalAveragesCoverTheIntervalAndGaugesComeFromTheLaterSample() {
    Sample before =
        sample(10, signals(50, 5_000, 9, 300, 20, 2_000, 20, 4_000), 0, CpuStat.UNKNOWN);
    // 4 handshakes of 10 ms each, 2 queue waits of 30 and 50 ms, 1 upstream first token at 250 ms
    Sample now = sample(12, signals(54, 5_040, 3, 12.5, 22, 2_080, 21, 4_250), 0, CpuStat.UNKNOWN);

    MetricsSnapshot s = SnapshotCalculator.compute(before, now, "svc", "id");

    assertThat(s.getAvgHandshakeMs()).isCloseTo(10.0, within(1e-9));
    assertThat(s.getAvgQueueWaitMs()).isCloseTo(40.0, within(1e-9));
    assertThat(s.getAvgUpstreamTtftMs()).isCloseTo(250.0, within(1e-9));
    assertThat(s.getHandshakesInFlight()).isEqualTo(3);
    assertThat(s.getEventLoopLagMs()).isEqualTo(12.5);
  }

  @Test
  void quietSignalsAreZeroAndAnUnprobedEventLoopIsUnknown() {
    Sample before = sample(10, MeterTotals.ZERO, 0, CpuStat.UNKNOWN);
    Sample now = sample(11, MeterTotals.ZERO, 0, CpuStat.UNKNOWN);

    MetricsSnapshot s = SnapshotCalculator.compute(before, now, "svc", "id");

    assertThat(s.getAvgHandshakeMs()).isZero();
    assertThat(s.getAvgQueueWaitMs()).isZero();
    assertThat(s.getAvgUpstreamTtftMs()).isZero();
    assertThat(s.getHandshakesInFlight()).isZero();
    assertThat(s.getEventLoopLagMs()).isNegative();
  }

  @Test
  void cpuThrottledIsTheShareOfTheIntervalsPeriodsThatWereThrottled() {
    Sample before = sample(10, MeterTotals.ZERO, 0, new CpuStat(1_000, 100));
    // 10 periods of 100 ms in 1 s, 4 of them throttled
    Sample now = sample(11, MeterTotals.ZERO, 0, new CpuStat(1_010, 104));

    assertThat(SnapshotCalculator.compute(before, now, "svc", "id").getCpuThrottled())
        .isCloseTo(0.4, within(1e-9));
  }

  @Test
  void cpuThrottledIsZeroWithoutPeriodsAndNegativeWhenUnreadable() {
    Sample noQuota = sample(10, MeterTotals.ZERO, 0, new CpuStat(0, 0));
    Sample stillNoQuota = sample(11, MeterTotals.ZERO, 0, new CpuStat(0, 0));
    Sample unreadable = sample(12, MeterTotals.ZERO, 0, CpuStat.UNKNOWN);
    Sample movedToAFreshGroup = sample(13, MeterTotals.ZERO, 0, new CpuStat(5, 0));
    Sample fromABusyGroup = sample(12, MeterTotals.ZERO, 0, new CpuStat(900, 800));

    assertThat(SnapshotCalculator.compute(noQuota, stillNoQuota, "s", "i").getCpuThrottled())
        .isZero();
    assertThat(SnapshotCalculator.compute(stillNoQuota, unreadable, "s", "i").getCpuThrottled())
        .isNegative();
    assertThat(
            SnapshotCalculator.compute(unreadable, movedToAFreshGroup, "s", "i").getCpuThrottled())
        .isNegative();
    assertThat(
            SnapshotCalculator.compute(fromABusyGroup, movedToAFreshGroup, "s", "i")
                .getCpuThrottled())
        .isZero();
    assertThat(SnapshotCalculator.compute(null, unreadable, "s", "i").getCpuThrottled())
        .isNegative();
  }

  @Test
  void gcPauseIsMillisecondsPerSecondOfTheInterval() {
    Sample before = sample(10, MeterTotals.ZERO, 1_000, CpuStat.UNKNOWN);
    // 60 ms of pauses in 4 s
    Sample now = sample(14, MeterTotals.ZERO, 1_060, CpuStat.UNKNOWN);
    Sample unknown = sample(15, MeterTotals.ZERO, -1, CpuStat.UNKNOWN);

    assertThat(SnapshotCalculator.compute(before, now, "svc", "id").getGcPauseMsPerS())
        .isCloseTo(15.0, within(1e-9));
    assertThat(SnapshotCalculator.compute(now, unknown, "svc", "id").getGcPauseMsPerS())
        .isNegative();
    assertThat(SnapshotCalculator.compute(null, unknown, "svc", "id").getGcPauseMsPerS())
        .isNegative();
  }
}
