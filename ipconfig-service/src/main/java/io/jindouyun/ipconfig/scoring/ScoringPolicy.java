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
 * @param prediction the predicted-TTFT weights: fit, fast window, hysteresis, damping
 */
public record ScoringPolicy(
    List<WindowSpec> windows,
    Map<Metric, MetricSpec> metrics,
    double weightFloor,
    double neutralScore,
    long staleAfterMillis,
    double errorPenalty,
    Prediction prediction) {

  /**
   * How weights follow the predicted TTFT (see {@code Ranker}).
   *
   * @param fastWindow window the prediction reads the signals and the observed TTFT from (its
   *     weight is not used)
   * @param dampedWindow longer window used instead while the ranking churns, and the fallback for
   *     the observed TTFT when the fast window has none
   * @param forgetting the fit's forgetting factor λ per sample, in (0, 1]
   * @param minSamples samples the fit needs before its prediction is used, &ge; 1
   * @param exponent {@code k} in {@code (best / predicted)^k}, &gt; 0
   * @param minTtftMillis predictions below this count as this (noise of tiny TTFTs), &gt; 0
   * @param hysteresis relative change a weight needs before it is published, in [0, 1)
   * @param maxRisePerSecond most weight points a published weight rises per second, &gt; 0
   * @param dampAboveRankChangesPerMinute rank changes per minute above which the service is damped
   *     (the damped window replaces the fast one) until the rate falls to half of it, &gt; 0
   */
  public record Prediction(
      WindowSpec fastWindow,
      WindowSpec dampedWindow,
      double forgetting,
      int minSamples,
      double exponent,
      double minTtftMillis,
      double hysteresis,
      double maxRisePerSecond,
      double dampAboveRankChangesPerMinute) {

    /** The defaults of {@code ipconfig.yml}. */
    public static final Prediction DEFAULTS =
        new Prediction(
            new WindowSpec(3_000, 1, 3),
            new WindowSpec(15_000, 1, 5),
            0.995,
            20,
            1.5,
            20,
            0.1,
            10,
            6);

    public Prediction {
      if (fastWindow.lengthMillis() >= dampedWindow.lengthMillis()) {
        throw new IllegalArgumentException("the damped window must be longer than the fast one");
      }
      if (!(forgetting > 0 && forgetting <= 1)) {
        throw new IllegalArgumentException("forgetting must be in (0, 1]");
      }
      if (minSamples < 1) {
        throw new IllegalArgumentException("min-samples must be >= 1");
      }
      if (!(exponent > 0) || Double.isInfinite(exponent)) {
        throw new IllegalArgumentException("exponent must be > 0");
      }
      if (!(minTtftMillis > 0) || Double.isInfinite(minTtftMillis)) {
        throw new IllegalArgumentException("min-ttft must be > 0");
      }
      if (!(hysteresis >= 0 && hysteresis < 1)) {
        throw new IllegalArgumentException("hysteresis must be in [0, 1)");
      }
      if (!(maxRisePerSecond > 0) || Double.isInfinite(maxRisePerSecond)) {
        throw new IllegalArgumentException("max-rise-per-second must be > 0");
      }
      if (!(dampAboveRankChangesPerMinute > 0)
          || Double.isInfinite(dampAboveRankChangesPerMinute)) {
        throw new IllegalArgumentException("damping rank-changes-per-minute must be > 0");
      }
    }
  }

  /** A policy with the default {@link Prediction} settings. */
  public ScoringPolicy(
      List<WindowSpec> windows,
      Map<Metric, MetricSpec> metrics,
      double weightFloor,
      double neutralScore,
      long staleAfterMillis,
      double errorPenalty) {
    this(
        windows,
        metrics,
        weightFloor,
        neutralScore,
        staleAfterMillis,
        errorPenalty,
        Prediction.DEFAULTS);
  }

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
    if (prediction == null) {
      throw new IllegalArgumentException("prediction settings are required");
    }
  }

  /** Weight of {@code metric}, 0 when not configured. */
  public double weightOf(Metric metric) {
    MetricSpec spec = metrics.get(metric);
    return spec == null ? 0 : spec.weight();
  }
}
