package io.jindouyun.ipconfig.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class ScorerTests {

  private static final Offset<Double> EXACT = within(1e-12);
  private static final List<WindowSpec> WINDOWS =
      List.of(
          new WindowSpec(10_000, 0.5, 10),
          new WindowSpec(60_000, 0.3, 6),
          new WindowSpec(300_000, 0.2, 10));

  private static ScoringPolicy policy(Map<Metric, MetricSpec> metrics) {
    return new ScoringPolicy(WINDOWS, metrics, 0.1, 0.5, 5_000, 2.0);
  }

  private static MetricsSample sample(
      long ts, double cpu, long heapUsed, long heapMax, long inFlight, long streams, double ttft) {
    return new MetricsSample(ts, cpu, heapUsed, heapMax, 0, inFlight, streams, 0, ttft);
  }

  private static MetricsSample counters(long ts, long requests, long errors, double ttft) {
    return new MetricsSample(ts, 0, 0, 0, requests, 0, 0, errors, ttft);
  }

  private static final Map<Metric, MetricSpec> ALL_METRICS =
      Map.of(
          Metric.CPU, new MetricSpec(2, 1),
          Metric.MEMORY, new MetricSpec(1, 1),
          Metric.INFLIGHT, new MetricSpec(1, 100),
          Metric.TTFT, new MetricSpec(1, 1000),
          Metric.ERRORS, new MetricSpec(1, 0.5));

  @Test
  void combinesMetricSubScoresByTheirWeights() {
    Scorer scorer = new Scorer(policy(ALL_METRICS));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(sample(1, 0.5, 256, 1024, 3, 10, 200), 1_000);
    // cpu 1-0.5=0.5 (×2), memory 1-0.25=0.75, inflight 1-10/100=0.9, ttft 1-200/1000=0.8,
    // errors: no request counted yet -> rate 0, sub-score 1. (1.0+0.75+0.9+0.8+1.0)/6 = 4.45/6
    assertThat(scorer.score(stats, 1_000)).isCloseTo(4.45 / 6, EXACT);
  }

  @Test
  void averagesWindowsByTheirWeights() {
    Scorer scorer = new Scorer(policy(Map.of(Metric.CPU, new MetricSpec(1, 1))));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(sample(1, 0.8, 0, 0, 0, 0, 0), 0);
    stats.record(sample(2, 0.2, 0, 0, 0, 0, 0), 50_000);
    // 10 s window: 0.2; 60 s: (0.8+0.2)/2 = 0.5; 300 s: 0.5.
    // cpu = 0.5×0.2 + 0.3×0.5 + 0.2×0.5 = 0.35 -> score 0.65; staleAfter is 5 s: now = 50 s.
    ScoreExplanation explanation = scorer.explain(stats, 50_000);
    assertThat(explanation.metrics().get(0).windowAverages())
        .containsExactly(new double[] {0.2, 0.5, 0.5}, within(1e-12));
    assertThat(explanation.metrics().get(0).value()).isCloseTo(0.35, EXACT);
    assertThat(scorer.score(stats, 50_000)).isCloseTo(0.65, EXACT);
    assertThat(explanation.score()).isCloseTo(0.65, EXACT);
  }

  @Test
  void leavesOutEmptyWindowsFromTheAverage() {
    Scorer scorer =
        new Scorer(
            new ScoringPolicy(
                WINDOWS, Map.of(Metric.CPU, new MetricSpec(1, 1)), 0.1, 0.5, 500_000, 2.0));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(sample(1, 0.6, 0, 0, 0, 0, 0), 0);
    // At 100 s the 10 s and 60 s windows are empty; only the 300 s window (0.6) counts.
    assertThat(scorer.score(stats, 100_000)).isCloseTo(0.4, EXACT);
  }

  @Test
  void errorRateComesFromCounterDeltasAndPenalisesTheScore() {
    Scorer scorer =
        new Scorer(
            policy(
                Map.of(Metric.CPU, new MetricSpec(1, 1), Metric.ERRORS, new MetricSpec(1, 0.5))));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(counters(1, 0, 0, 0), 0);
    stats.record(counters(2, 100, 10, 0), 1_000);
    stats.record(counters(3, 200, 30, 0), 2_000);
    // error rate (10+20)/(100+100) = 0.15; errors sub 1-0.15/0.5 = 0.7; cpu sub 1.
    // raw (1+0.7)/2 = 0.85; penalty 1-2×0.15 = 0.7 -> 0.595
    ScoreExplanation explanation = scorer.explain(stats, 2_000);
    assertThat(explanation.rawScore()).isCloseTo(0.85, EXACT);
    assertThat(explanation.penaltyFactor()).isCloseTo(0.7, EXACT);
    assertThat(scorer.score(stats, 2_000)).isCloseTo(0.595, EXACT);
  }

  @Test
  void backendThatFailsFastDoesNotLookFast() {
    Scorer scorer =
        new Scorer(
            policy(
                Map.of(Metric.TTFT, new MetricSpec(1, 1000), Metric.ERRORS, new MetricSpec(1, 1))));
    InstanceStats failing = new InstanceStats(WINDOWS);
    failing.record(counters(1, 0, 0, 100), 0);
    failing.record(counters(2, 100, 50, 100), 1_000);
    InstanceStats healthy = new InstanceStats(WINDOWS);
    healthy.record(counters(1, 0, 0, 400), 0);
    healthy.record(counters(2, 100, 0, 400), 1_000);
    // failing: ttft 0.9, errors 1-0.5 = 0.5, raw 0.7, penalty 1-2×0.5 = 0 -> 0
    // healthy: ttft 0.6, errors 1, raw 0.8, penalty 1 -> 0.8
    assertThat(scorer.score(failing, 1_000)).isCloseTo(0.0, EXACT);
    assertThat(scorer.score(healthy, 1_000)).isCloseTo(0.8, EXACT);
  }

  @Test
  void counterThatGoesBackwardsIsARestartNotAnError() {
    Scorer scorer = new Scorer(policy(Map.of(Metric.ERRORS, new MetricSpec(1, 1))));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(counters(1, 1000, 500, 0), 0);
    stats.record(counters(2, 10, 0, 0), 1_000);
    stats.record(counters(3, 20, 1, 0), 2_000);
    // Only the last delta counts: 1/10 -> sub 0.9, penalty 1-2×0.1 = 0.8 -> 0.72
    assertThat(scorer.score(stats, 2_000)).isCloseTo(0.72, EXACT);
  }

  @Test
  void idleIntervalWithoutTtftKeepsTheEarlierTtft() {
    Scorer scorer = new Scorer(policy(Map.of(Metric.TTFT, new MetricSpec(1, 1000))));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(counters(1, 0, 0, 300), 0);
    stats.record(counters(2, 0, 0, 0), 1_000);
    assertThat(scorer.score(stats, 1_000)).isCloseTo(0.7, EXACT);
  }

  @Test
  void idleInstanceHasNoErrorRateAndNoPenalty() {
    Scorer scorer = new Scorer(policy(Map.of(Metric.ERRORS, new MetricSpec(1, 0.5))));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(counters(1, 100, 5, 0), 0);
    stats.record(counters(2, 100, 5, 0), 1_000);
    ScoreExplanation explanation = scorer.explain(stats, 1_000);
    assertThat(explanation.metrics().get(Metric.ERRORS.ordinal()).windowAverages())
        .containsOnly(Double.NaN);
    assertThat(explanation.metrics().get(Metric.ERRORS.ordinal()).value()).isZero();
    assertThat(scorer.score(stats, 1_000)).isEqualTo(1.0);
  }

  @Test
  void staleInstanceGetsTheNeutralScore() {
    Scorer scorer = new Scorer(policy(ALL_METRICS));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(sample(1, 0.9, 0, 0, 0, 0, 0), 0);
    assertThat(scorer.isStale(stats, 5_000)).isFalse();
    assertThat(scorer.isStale(stats, 5_001)).isTrue();
    assertThat(scorer.score(stats, 5_001)).isEqualTo(0.5);
    assertThat(scorer.explain(stats, 5_001).stale()).isTrue();
    assertThat(scorer.isStale(null, 0)).isTrue();
    assertThat(scorer.score(null, 0)).isEqualTo(0.5);
  }

  @Test
  void replayedSampleIsIgnored() {
    InstanceStats stats = new InstanceStats(WINDOWS);
    assertThat(stats.record(sample(7, 0.9, 0, 0, 0, 0, 0), 0)).isTrue();
    assertThat(stats.record(sample(7, 0.1, 0, 0, 0, 0, 0), 10)).isFalse();
    assertThat(stats.average(0, Metric.CPU, 10)).isEqualTo(0.9);
  }

  @Test
  void contributionsAddUpToTheRawScore() {
    Scorer scorer = new Scorer(policy(ALL_METRICS));
    InstanceStats stats = new InstanceStats(WINDOWS);
    stats.record(sample(1, 0.5, 256, 1024, 3, 10, 200), 1_000);
    ScoreExplanation explanation = scorer.explain(stats, 1_000);
    double sum =
        explanation.metrics().stream().mapToDouble(ScoreExplanation.MetricPart::contribution).sum();
    assertThat(sum).isCloseTo(explanation.rawScore(), EXACT);
    assertThat(explanation.metrics().get(Metric.CPU.ordinal()).contribution())
        .isCloseTo(2 * 0.5 / 6, EXACT);
  }
}
