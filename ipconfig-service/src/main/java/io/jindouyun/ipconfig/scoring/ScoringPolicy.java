package io.jindouyun.ipconfig.scoring;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * How samples turn into scores and weights. Built from {@code ipconfig.yml} after validation; the
 * constructor checks the invariants again so a policy cannot exist in an invalid state.
 *
 * @param windows the sliding windows and their weights (e.g. 10 s × 0.5, 60 s × 0.3, 300 s × 0.2)
 * @param metrics weight and limit per metric; a metric absent from the map has weight 0
 * @param weightFloor lowest relative weight a listed instance gets, 0..1
 * @param neutralScore score of an instance without fresh metrics, 0..1
 * @param staleAfterMillis an instance whose last sample is older than this is stale
 * @param errorPenalty the score is multiplied by {@code max(0, 1 - errorPenalty × errorRate)}
 */
public record ScoringPolicy(
    List<WindowSpec> windows,
    Map<Metric, MetricSpec> metrics,
    double weightFloor,
    double neutralScore,
    long staleAfterMillis,
    double errorPenalty) {

  /** Largest weight served, for the best instance. */
  public static final int WEIGHT_SCALE = 100;

  /**
   * One sliding window.
   *
   * @param lengthMillis window length, &gt; 0, a multiple of {@code buckets}
   * @param weight relative weight of this window in the average, &gt; 0
   * @param buckets number of buckets the window is cut into, &gt; 0
   */
  public record WindowSpec(long lengthMillis, double weight, int buckets) {
    public WindowSpec {
      if (lengthMillis <= 0 || buckets <= 0 || lengthMillis % buckets != 0) {
        throw new IllegalArgumentException(
            "window length must be > 0 and a multiple of its bucket count");
      }
      if (!(weight > 0) || !Double.isFinite(weight)) {
        throw new IllegalArgumentException("window weight must be > 0");
      }
    }

    /** Length of one bucket. */
    public long bucketMillis() {
      return lengthMillis / buckets;
    }
  }

  /**
   * Weight and scale of one metric.
   *
   * @param weight relative weight among the metrics, &ge; 0
   * @param limit value at which the metric's sub-score reaches 0 (sub-score = 1 - value / limit,
   *     clamped to 0..1), &gt; 0
   */
  public record MetricSpec(double weight, double limit) {
    public MetricSpec {
      if (!(weight >= 0) || !Double.isFinite(weight)) {
        throw new IllegalArgumentException("metric weight must be >= 0");
      }
      if (!(limit > 0) || !Double.isFinite(limit)) {
        throw new IllegalArgumentException("metric limit must be > 0");
      }
    }
  }

  public ScoringPolicy {
    windows = List.copyOf(windows);
    metrics = Map.copyOf(new EnumMap<>(metrics));
    if (windows.isEmpty()) {
      throw new IllegalArgumentException("at least one window is required");
    }
    if (metrics.values().stream().mapToDouble(MetricSpec::weight).sum() <= 0) {
      throw new IllegalArgumentException("metric weights must not all be zero");
    }
    if (!(weightFloor >= 0 && weightFloor <= 1)) {
      throw new IllegalArgumentException("weight floor must be in [0,1]");
    }
    if (!(neutralScore >= 0 && neutralScore <= 1)) {
      throw new IllegalArgumentException("neutral score must be in [0,1]");
    }
    if (staleAfterMillis <= 0) {
      throw new IllegalArgumentException("stale-after must be > 0");
    }
    if (!(errorPenalty >= 0) || !Double.isFinite(errorPenalty)) {
      throw new IllegalArgumentException("error penalty must be >= 0");
    }
  }

  /** Weight of {@code metric}, 0 when not configured. */
  public double weightOf(Metric metric) {
    MetricSpec spec = metrics.get(metric);
    return spec == null ? 0 : spec.weight();
  }
}
