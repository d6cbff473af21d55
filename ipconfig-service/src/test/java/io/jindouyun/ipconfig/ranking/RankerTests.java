package io.jindouyun.ipconfig.ranking;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RankerTests {

  private static final List<WindowSpec> WINDOWS = List.of(new WindowSpec(10_000, 1, 10));
  private final Ranker ranker =
      new Ranker(
          new Scorer(
              new ScoringPolicy(
                  WINDOWS, Map.of(Metric.CPU, new MetricSpec(1, 1)), 0.1, 0.5, 5_000, 2)));
  private final Map<String, InstanceStats> stats = new HashMap<>();

  private static InstanceRecord instance(String id) {
    return new InstanceRecord(id, "stream-gateway", "127.0.0.1", 8081, 9081, "", "", "");
  }

  private void cpu(String id, double cpu) {
    InstanceStats s = new InstanceStats(WINDOWS);
    s.record(new MetricsSample(1, cpu, 0, 0, 0, 0, 0, 0, 0), 0);
    stats.put(id, s);
  }

  private RankedList rank(int listSize, RoutingOverride override, String... ids) {
    return ranker.rank(
        listSize,
        List.of(ids).stream().map(RankerTests::instance).toList(),
        stats::get,
        override,
        ranker.newModel(),
        0);
  }

  // Without an observed TTFT and without a fit, the linear score of the configured metric weights
  // is the prior: relative weight = max(floor, score / best score).
  @Test
  void withoutTtftOrFitListsTheBestFirstWithWeightsFromThePriorScores() {
    cpu("a", 0.6); // score 0.4
    cpu("b", 0.2); // score 0.8
    cpu("c", 0.99); // score 0.01 -> floor
    RankedList list = rank(10, RoutingOverride.NONE, "a", "b", "c");
    assertThat(list.strategy()).isEqualTo(Strategy.SCORE);
    assertThat(list.entries()).extracting(e -> e.instance().id()).containsExactly("b", "a", "c");
    assertThat(list.entries()).extracting(RankedList.Entry::weight).containsExactly(100, 50, 10);
  }

  @Test
  void cutsToTheListSize() {
    cpu("a", 0.6);
    cpu("b", 0.2);
    cpu("c", 0.4);
    assertThat(rank(2, RoutingOverride.NONE, "a", "b", "c").entries())
        .extracting(e -> e.instance().id())
        .containsExactly("b", "c");
  }

  @Test
  void topOfAManyInstanceListEqualsTheHeadOfAFullSort() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(3);
    String[] ids = new String[200];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = "gw-" + i;
      cpu(ids[i], random.nextInt(20) / 20.0); // many ties, broken by id
    }
    List<String> expected =
        List.of(ids).stream()
            .sorted(
                java.util.Comparator.comparingDouble(
                        (String id) -> stats.get(id).average(0, Metric.CPU, 0))
                    .thenComparing(id -> id))
            .limit(7)
            .toList();
    assertThat(rank(7, RoutingOverride.NONE, ids).entries())
        .extracting(e -> e.instance().id())
        .containsExactlyElementsOf(expected);
  }

  @Test
  void instanceWithoutMetricsStaysWithTheNeutralScore() {
    cpu("a", 0.0); // score 1.0
    RankedList list = rank(10, RoutingOverride.NONE, "a", "b");
    assertThat(list.entries().get(0).score()).isEqualTo(1.0);
    assertThat(list.entries().get(1).instance().id()).isEqualTo("b");
    assertThat(list.entries().get(1).score()).isEqualTo(0.5);
    assertThat(list.entries().get(1).stale()).isTrue();
    assertThat(list.entries().get(1).weight()).isEqualTo(50);
  }

  @Test
  void drainRemovesInstancesWhateverTheStrategy() {
    cpu("a", 0.6);
    cpu("b", 0.2);
    RankedList list =
        rank(10, new RoutingOverride(Strategy.DRAIN, Map.of(), Set.of("b")), "a", "b");
    assertThat(list.strategy()).isEqualTo(Strategy.DRAIN);
    assertThat(list.entries()).extracting(e -> e.instance().id()).containsExactly("a");
    assertThat(list.entries().get(0).weight()).isEqualTo(100);
  }

  @Test
  void manualUsesOperatorWeightsAndLeavesOutTheUnweighted() {
    cpu("a", 0.6);
    cpu("b", 0.2);
    RankedList list =
        rank(
            1,
            new RoutingOverride(Strategy.MANUAL, Map.of("a", 7, "c", 5, "b", 0), Set.of()),
            "a",
            "b",
            "c");
    assertThat(list.entries()).extracting(e -> e.instance().id()).containsExactly("a", "c");
    assertThat(list.entries()).extracting(RankedList.Entry::weight).containsExactly(7, 5);
  }

  @Test
  void hashUsesScoresUnlessWeightsAreGiven() {
    cpu("a", 0.6);
    cpu("b", 0.2);
    assertThat(rank(10, new RoutingOverride(Strategy.HASH, Map.of(), Set.of()), "a", "b").entries())
        .extracting(RankedList.Entry::weight)
        .containsExactly(100, 50);
    RankedList manual =
        rank(10, new RoutingOverride(Strategy.HASH, Map.of("a", 2, "b", 1), Set.of()), "a", "b");
    assertThat(manual.strategy()).isEqualTo(Strategy.HASH);
    assertThat(manual.entries()).extracting(RankedList.Entry::weight).containsExactly(2, 1);
  }

  @Test
  void sameRoutingIgnoresScoreNoise() {
    cpu("a", 0.6);
    cpu("b", 0.2);
    RankedList first = rank(10, RoutingOverride.NONE, "a", "b");
    cpu("a", 0.601);
    RankedList second = rank(10, RoutingOverride.NONE, "a", "b");
    assertThat(second.entries().get(1).score()).isNotEqualTo(first.entries().get(1).score());
    assertThat(second.sameRouting(first)).isTrue();
    cpu("a", 0.9);
    assertThat(rank(10, RoutingOverride.NONE, "a", "b").sameRouting(first)).isFalse();
  }
}
