package io.jindouyun.ipconfig.scoring;

import java.util.List;

/**
 * How one instance's score came about.
 *
 * @param score the final score (the neutral score when stale)
 * @param stale no sample within the stale limit
 * @param rawScore weighted mean of the metric sub-scores, before the error penalty
 * @param penaltyFactor {@code max(0, 1 - errorPenalty × errorRate)}
 * @param lastSampleAgeMillis age of the last sample, -1 when none
 * @param metrics one part per metric
 */
public record ScoreExplanation(
    double score,
    boolean stale,
    double rawScore,
    double penaltyFactor,
    long lastSampleAgeMillis,
    List<MetricPart> metrics) {

  public ScoreExplanation {
    metrics = List.copyOf(metrics);
  }

  /**
   * One metric's share of the score.
   *
   * @param metric the metric
   * @param weight its configured weight
   * @param limit value at which its sub-score reaches 0
   * @param windowAverages average per window, in configured order; NaN when the window is empty
   * @param value weighted average over the windows with data; NaN when none has data
   * @param subScore {@code clamp(1 - value / limit, 0, 1)}, or the neutral score without data
   * @param contribution {@code weight × subScore / Σ weights}
   */
  public record MetricPart(
      Metric metric,
      double weight,
      double limit,
      double[] windowAverages,
      double value,
      double subScore,
      double contribution) {
    public MetricPart {
      windowAverages = windowAverages.clone();
    }

    @Override
    public double[] windowAverages() {
      return windowAverages.clone();
    }
  }
}
