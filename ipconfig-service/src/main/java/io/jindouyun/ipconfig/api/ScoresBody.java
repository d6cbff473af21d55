package io.jindouyun.ipconfig.api;

import io.jindouyun.ipconfig.ranking.BestLists;
import io.jindouyun.ipconfig.ranking.RankedList;
import io.jindouyun.ipconfig.ranking.RoutingOverride;
import io.jindouyun.ipconfig.ranking.ServiceExplanation;
import io.jindouyun.ipconfig.ranking.Verdict;
import io.jindouyun.ipconfig.scoring.ScoreExplanation;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.Signal;
import io.jindouyun.ipconfig.scoring.TtftFeatures;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * JSON of {@code GET /v1/scores/{service}}: the fit, the damping, and why each instance got its
 * weight. Averages of empty windows, values without data and absent predictions are {@code null}.
 *
 * @param service service name
 * @param override the override in force
 * @param policy the scoring settings
 * @param fit the service's TTFT fit
 * @param damping whether the ranking churns and is damped
 * @param instances every member of the service (listed or not), highest relative weight first
 */
record ScoresBody(
    String service,
    OverrideBody override,
    PolicyBody policy,
    FitBody fit,
    DampingBody damping,
    List<InstanceScore> instances) {

  record OverrideBody(String strategy, Map<String, Integer> weights, List<String> drain) {}

  record PolicyBody(
      List<WindowBody> windows,
      double weightFloor,
      double neutralScore,
      long staleAfterMs,
      double errorPenalty,
      PredictionBody prediction) {}

  record WindowBody(long lengthMs, double weight, int buckets) {}

  record PredictionBody(
      WindowBody fastWindow,
      WindowBody dampedWindow,
      double forgetting,
      int minSamples,
      double exponent,
      double minTtftMs,
      double hysteresis,
      double maxRisePerSecond,
      double dampAboveRankChangesPerMinute) {}

  /**
   * @param coefficients ms of TTFT per unit of each regressor, by name
   * @param samples observations taken
   * @param rejected observations rejected (invalid target or signal)
   * @param ready the fit has {@code min-samples}: its predictions are used
   */
  record FitBody(Map<String, Double> coefficients, long samples, long rejected, boolean ready) {}

  record DampingBody(boolean damped, double rankChangesPerMinute) {}

  /**
   * @param listed whether it is in the served list
   * @param weight served weight, 0 when not listed
   * @param score relative weight 0..1 it was ranked by
   * @param basis {@code stale}, {@code prior}, {@code observed} or {@code model}: where the
   *     relative weight came from
   * @param signals averages of the fast window, by signal
   * @param dampedSignals the same over the damped window
   * @param prediction the TTFTs behind the weight; null before the first recompute
   * @param prior the linear score of the configured metric weights, step by step
   */
  record InstanceScore(
      String id,
      boolean listed,
      int weight,
      Double score,
      boolean stale,
      String basis,
      long lastSampleAgeMs,
      Map<String, Double> signals,
      Map<String, Double> dampedSignals,
      PredictionView prediction,
      PriorBody prior) {}

  /**
   * @param modelMs the fit's prediction from the signals; null when not used
   * @param observedMs the observed TTFT; null when none
   * @param predictedMs the TTFT ranked by; null when ranked by the prior or stale
   * @param targetWeight the weight asked for before hysteresis, null when not listed
   * @param held the served weight differs from the target (hysteresis band or rise limit)
   */
  record PredictionView(
      Double modelMs, Double observedMs, Double predictedMs, Integer targetWeight, boolean held) {}

  /**
   * @param score the linear score (the prior)
   * @param rawScore weighted mean of the sub-scores, before the error penalty
   * @param penaltyFactor {@code max(0, 1 - errorPenalty × errorRate)}
   */
  record PriorBody(double score, double rawScore, double penaltyFactor, List<MetricBody> metrics) {}

  /**
   * @param windowAverages average per window, in policy order
   * @param value weighted average over windows with data
   * @param subScore {@code clamp(1 - value / limit, 0, 1)} or neutral
   * @param contribution share of the raw score
   */
  record MetricBody(
      String metric,
      double weight,
      double limit,
      List<Double> windowAverages,
      Double value,
      double subScore,
      double contribution) {}

  static ScoresBody of(
      String service,
      RoutingOverride override,
      ScoringPolicy policy,
      ServiceExplanation explanation,
      BestLists.ServiceList served) {
    Map<String, Integer> weights = new HashMap<>();
    if (served != null) {
      for (RankedList.Entry e : served.list().entries()) {
        weights.put(e.instance().id(), e.weight());
      }
    }
    List<InstanceScore> instances = new ArrayList<>();
    explanation.members().forEach((id, m) -> instances.add(instance(id, m, weights)));
    instances.sort(
        Comparator.comparing(
                (InstanceScore i) -> i.score() == null ? -1 : i.score(), Comparator.reverseOrder())
            .thenComparing(InstanceScore::id));
    Map<String, Double> coefficients = new LinkedHashMap<>();
    double[] beta = explanation.coefficients();
    for (int j = 0; j < beta.length; j++) {
      coefficients.put(TtftFeatures.NAMES[j], beta[j]);
    }
    ScoringPolicy.Prediction p = policy.prediction();
    return new ScoresBody(
        service,
        new OverrideBody(
            override.strategy().key(),
            override.weights(),
            List.copyOf(new TreeSet<>(override.drain()))),
        new PolicyBody(
            policy.windows().stream().map(ScoresBody::window).toList(),
            policy.weightFloor(),
            policy.neutralScore(),
            policy.staleAfterMillis(),
            policy.errorPenalty(),
            new PredictionBody(
                window(p.fastWindow()),
                window(p.dampedWindow()),
                p.forgetting(),
                p.minSamples(),
                p.exponent(),
                p.minTtftMillis(),
                p.hysteresis(),
                p.maxRisePerSecond(),
                p.dampAboveRankChangesPerMinute())),
        new FitBody(
            coefficients, explanation.samples(), explanation.rejected(), explanation.fitReady()),
        new DampingBody(explanation.damped(), explanation.rankChangesPerMinute()),
        instances);
  }

  private static WindowBody window(ScoringPolicy.WindowSpec w) {
    return new WindowBody(w.lengthMillis(), w.weight(), w.buckets());
  }

  private static InstanceScore instance(
      String id, ServiceExplanation.Member m, Map<String, Integer> weights) {
    ScoreExplanation x = m.prior();
    Verdict.View v = m.verdict();
    PredictionView prediction =
        v == null
            ? null
            : new PredictionView(
                orNull(v.modelMillis()),
                orNull(v.observedMillis()),
                orNull(v.predictedMillis()),
                v.targetWeight() < 0 ? null : v.targetWeight(),
                v.held());
    String basis =
        v == null ? (x.stale() ? "stale" : "prior") : v.basis().name().toLowerCase(Locale.ROOT);
    return new InstanceScore(
        id,
        weights.containsKey(id),
        weights.getOrDefault(id, 0),
        v == null ? null : v.relative(),
        x.stale(),
        basis,
        x.lastSampleAgeMillis(),
        signals(m.fast()),
        signals(m.slow()),
        prediction,
        new PriorBody(
            x.score(),
            x.rawScore(),
            x.penaltyFactor(),
            x.metrics().stream().map(ScoresBody::metric).toList()));
  }

  private static Map<String, Double> signals(double[] values) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (int i = 0; i < values.length; i++) {
      out.put(Signal.of(i).key(), orNull(values[i]));
    }
    return out;
  }

  private static MetricBody metric(ScoreExplanation.MetricPart p) {
    List<Double> averages = new ArrayList<>();
    for (double a : p.windowAverages()) {
      averages.add(orNull(a));
    }
    return new MetricBody(
        p.metric().key(),
        p.weight(),
        p.limit(),
        averages,
        orNull(p.value()),
        p.subScore(),
        p.contribution());
  }

  private static Double orNull(double v) {
    return Double.isNaN(v) ? null : v;
  }
}
