package io.jindouyun.ipconfig.scoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scores an instance from its {@link InstanceStats}; higher is better, in 0..1.
 *
 * <ol>
 *   <li>Per metric, the value is the weighted average of the window averages, over the windows that
 *       hold data: {@code v = Σ w_i·avg_i / Σ w_i}.
 *   <li>The metric's sub-score is {@code clamp(1 - v / limit, 0, 1)}; a metric without data gets
 *       the neutral score, except the error rate, which is 0 when no request was counted.
 *   <li>The raw score is {@code Σ weight_m·sub_m / Σ weight_m}.
 *   <li>Error penalty, so that failing fast does not look fast: {@code score = raw × max(0, 1 -
 *       errorPenalty × errorRate)}.
 *   <li>An instance with no sample within {@code staleAfter} is stale: its score is the neutral
 *       score.
 * </ol>
 *
 * <p>Stateless and thread-safe; {@link InstanceStats} itself is not, see there.
 */
public final class Scorer {

  private static final int ERRORS = Metric.ERRORS.ordinal();

  private final ScoringPolicy policy;
  private final double[] windowWeights;
  private final double[] metricWeights;
  private final double[] limits;
  private final double totalMetricWeight;

  public Scorer(ScoringPolicy policy) {
    this.policy = policy;
    windowWeights =
        policy.windows().stream().mapToDouble(ScoringPolicy.WindowSpec::weight).toArray();
    metricWeights = new double[Metric.COUNT];
    limits = new double[Metric.COUNT];
    Arrays.fill(limits, 1);
    double total = 0;
    for (Metric m : Metric.values()) {
      ScoringPolicy.MetricSpec spec = policy.metrics().get(m);
      if (spec != null) {
        metricWeights[m.ordinal()] = spec.weight();
        limits[m.ordinal()] = spec.limit();
        total += spec.weight();
      }
    }
    totalMetricWeight = total;
  }

  /** The policy this scorer applies. */
  public ScoringPolicy policy() {
    return policy;
  }

  /** True when {@code stats} is null or its last sample is older than the stale limit. */
  public boolean isStale(InstanceStats stats, long nowMillis) {
    return stats == null
        || stats.lastReceivedMillis() == Long.MIN_VALUE
        || nowMillis - stats.lastReceivedMillis() > policy.staleAfterMillis();
  }

  /** The score of an instance, without the explanation (no allocation). */
  public double score(InstanceStats stats, long nowMillis) {
    if (isStale(stats, nowMillis)) {
      return policy.neutralScore();
    }
    double weighted = 0;
    double errorRate = Double.NaN;
    for (int m = 0; m < Metric.COUNT; m++) {
      boolean errors = m == ERRORS;
      if (metricWeights[m] > 0 || errors) {
        double value = blended(stats, m, nowMillis, null);
        weighted += metricWeights[m] * subScore(m, value);
        if (errors) {
          errorRate = value;
        }
      }
    }
    return weighted / totalMetricWeight * penaltyFactor(errorRate);
  }

  /** The score with every step spelled out, for operators. */
  public ScoreExplanation explain(InstanceStats stats, long nowMillis) {
    boolean stale = isStale(stats, nowMillis);
    List<ScoreExplanation.MetricPart> parts = new ArrayList<>(Metric.COUNT);
    double weighted = 0;
    double errorRate = Double.NaN;
    for (Metric metric : Metric.values()) {
      int m = metric.ordinal();
      double[] averages = new double[windowWeights.length];
      Arrays.fill(averages, Double.NaN);
      double value = stats == null ? Double.NaN : blended(stats, m, nowMillis, averages);
      double sub = subScore(m, value);
      double contribution = totalMetricWeight > 0 ? metricWeights[m] * sub / totalMetricWeight : 0;
      weighted += metricWeights[m] * sub;
      if (metric == Metric.ERRORS) {
        errorRate = value;
      }
      parts.add(
          new ScoreExplanation.MetricPart(
              metric, metricWeights[m], limits[m], averages, value, sub, contribution));
    }
    double raw = weighted / totalMetricWeight;
    double factor = penaltyFactor(errorRate);
    double score = stale ? policy.neutralScore() : raw * factor;
    long age =
        stats == null || stats.lastReceivedMillis() == Long.MIN_VALUE
            ? -1
            : nowMillis - stats.lastReceivedMillis();
    return new ScoreExplanation(score, stale, raw, factor, age, parts);
  }

  private double blended(InstanceStats stats, int m, long nowMillis, double[] averagesOut) {
    double sum = 0;
    double weights = 0;
    for (int w = 0; w < windowWeights.length; w++) {
      double avg = stats.average(w, m, nowMillis);
      if (averagesOut != null) {
        averagesOut[w] = avg;
      }
      if (!Double.isNaN(avg)) {
        sum += windowWeights[w] * avg;
        weights += windowWeights[w];
      }
    }
    if (weights > 0) {
      return sum / weights;
    }
    // Fresh samples without traffic: no error was seen, which is not the same as not knowing.
    return m == ERRORS ? 0 : Double.NaN;
  }

  private double subScore(int m, double value) {
    if (Double.isNaN(value)) {
      return policy.neutralScore();
    }
    return Math.max(0, Math.min(1, 1 - value / limits[m]));
  }

  private double penaltyFactor(double errorRate) {
    if (Double.isNaN(errorRate)) {
      return 1;
    }
    return Math.max(0, 1 - policy.errorPenalty() * errorRate);
  }
}
