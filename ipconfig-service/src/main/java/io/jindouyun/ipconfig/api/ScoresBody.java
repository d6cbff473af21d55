package io.jindouyun.ipconfig.api;

import io.jindouyun.ipconfig.ranking.BestLists;
import io.jindouyun.ipconfig.ranking.RankedList;
import io.jindouyun.ipconfig.ranking.RoutingOverride;
import io.jindouyun.ipconfig.scoring.ScoreExplanation;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * JSON of {@code GET /v1/scores/{service}}: each instance's score, step by step. Averages of empty
 * windows and values without data are {@code null}.
 *
 * @param service service name
 * @param override the override in force
 * @param policy the scoring settings
 * @param instances every member of the service (listed or not), best score first
 */
record ScoresBody(
    String service, OverrideBody override, PolicyBody policy, List<InstanceScore> instances) {

  record OverrideBody(String strategy, Map<String, Integer> weights, List<String> drain) {}

  record PolicyBody(
      List<WindowBody> windows,
      double weightFloor,
      double neutralScore,
      long staleAfterMs,
      double errorPenalty) {}

  record WindowBody(long lengthMs, double weight, int buckets) {}

  /**
   * @param listed whether it is in the served list
   * @param weight served weight, 0 when not listed
   * @param penaltyFactor {@code max(0, 1 - errorPenalty × errorRate)}
   * @param lastSampleAgeMs age of the last metrics sample, -1 when none
   */
  record InstanceScore(
      String id,
      boolean listed,
      int weight,
      double score,
      boolean stale,
      double rawScore,
      double penaltyFactor,
      long lastSampleAgeMs,
      List<MetricBody> metrics) {}

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
      Map<String, ScoreExplanation> explanations,
      BestLists.ServiceList served) {
    Map<String, Integer> weights = new HashMap<>();
    if (served != null) {
      for (RankedList.Entry e : served.list().entries()) {
        weights.put(e.instance().id(), e.weight());
      }
    }
    List<InstanceScore> instances = new ArrayList<>();
    explanations.forEach(
        (id, x) ->
            instances.add(
                new InstanceScore(
                    id,
                    weights.containsKey(id),
                    weights.getOrDefault(id, 0),
                    x.score(),
                    x.stale(),
                    x.rawScore(),
                    x.penaltyFactor(),
                    x.lastSampleAgeMillis(),
                    x.metrics().stream().map(ScoresBody::metric).toList())));
    instances.sort(
        Comparator.comparingDouble(InstanceScore::score)
            .reversed()
            .thenComparing(InstanceScore::id));
    return new ScoresBody(
        service,
        new OverrideBody(
            override.strategy().key(),
            override.weights(),
            List.copyOf(new TreeSet<>(override.drain()))),
        new PolicyBody(
            policy.windows().stream()
                .map(w -> new WindowBody(w.lengthMillis(), w.weight(), w.buckets()))
                .toList(),
            policy.weightFloor(),
            policy.neutralScore(),
            policy.staleAfterMillis(),
            policy.errorPenalty()),
        instances);
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
