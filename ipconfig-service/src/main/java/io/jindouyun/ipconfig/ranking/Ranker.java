package io.jindouyun.ipconfig.ranking;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.Weights;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Function;

/**
 * Builds a service's {@link RankedList} from its live instances, their stats and the override:
 *
 * <ul>
 *   <li>instances in {@code drain} are removed first, whatever the strategy;
 *   <li>{@code score} / {@code drain}: sort by score (ties by id), keep the best {@code listSize},
 *       weights from their scores with the floor ({@link Weights});
 *   <li>{@code manual}: every live instance with an operator weight &gt; 0, that weight, sorted by
 *       weight then score; no list-size cut (the operator chose);
 *   <li>{@code hash}: as {@code manual} when weights are given, else as {@code score}.
 * </ul>
 *
 * Stateless and thread-safe as long as the stats are not mutated concurrently.
 */
public final class Ranker {

  private static final Comparator<RankedList.Entry> BY_SCORE =
      Comparator.comparingDouble(RankedList.Entry::score)
          .reversed()
          .thenComparing(e -> e.instance().id());

  private static final Comparator<RankedList.Entry> BY_WEIGHT =
      Comparator.comparingInt(RankedList.Entry::weight).reversed().thenComparing(BY_SCORE);

  private final Scorer scorer;

  public Ranker(Scorer scorer) {
    this.scorer = scorer;
  }

  /** The scorer in use. */
  public Scorer scorer() {
    return scorer;
  }

  /**
   * Ranks {@code instances}.
   *
   * @param listSize largest number of instances listed by score
   * @param stats stats of an instance id, null when none
   * @param override the operator override ({@link RoutingOverride#NONE} when none)
   * @param nowMillis the windows' clock
   */
  public RankedList rank(
      int listSize,
      Collection<InstanceRecord> instances,
      Function<String, InstanceStats> stats,
      RoutingOverride override,
      long nowMillis) {
    List<RankedList.Entry> scored = new ArrayList<>(instances.size());
    for (InstanceRecord instance : instances) {
      if (override.drain().contains(instance.id())) {
        continue;
      }
      InstanceStats s = stats.apply(instance.id());
      scored.add(
          new RankedList.Entry(
              instance, 0, scorer.score(s, nowMillis), scorer.isStale(s, nowMillis)));
    }
    Strategy strategy = override.strategy();
    boolean manualWeights =
        strategy == Strategy.MANUAL || (strategy == Strategy.HASH && !override.weights().isEmpty());
    return new RankedList(
        strategy,
        manualWeights ? byOperator(scored, override.weights()) : byScore(scored, listSize));
  }

  private List<RankedList.Entry> byScore(List<RankedList.Entry> scored, int listSize) {
    List<RankedList.Entry> top = best(scored, listSize);
    double[] scores = new double[top.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = top.get(i).score();
    }
    int[] weights = Weights.fromScores(scores, scorer.policy().weightFloor());
    List<RankedList.Entry> out = new ArrayList<>(top.size());
    for (int i = 0; i < scores.length; i++) {
      RankedList.Entry e = top.get(i);
      out.add(new RankedList.Entry(e.instance(), weights[i], e.score(), e.stale()));
    }
    return out;
  }

  /**
   * The best {@code k} entries, best first: O(n log k) with a heap whose head is the worst kept.
   */
  private static List<RankedList.Entry> best(List<RankedList.Entry> scored, int k) {
    if (scored.size() <= k) {
      scored.sort(BY_SCORE);
      return scored;
    }
    PriorityQueue<RankedList.Entry> heap = new PriorityQueue<>(k + 1, BY_SCORE.reversed());
    for (RankedList.Entry e : scored) {
      if (heap.size() < k) {
        heap.add(e);
      } else if (BY_SCORE.compare(e, heap.peek()) < 0) {
        heap.poll();
        heap.add(e);
      }
    }
    List<RankedList.Entry> top = new ArrayList<>(heap);
    top.sort(BY_SCORE);
    return top;
  }

  private static List<RankedList.Entry> byOperator(
      List<RankedList.Entry> scored, Map<String, Integer> weights) {
    List<RankedList.Entry> out = new ArrayList<>();
    for (RankedList.Entry e : scored) {
      int w = weights.getOrDefault(e.instance().id(), 0);
      if (w > 0) {
        out.add(new RankedList.Entry(e.instance(), w, e.score(), e.stale()));
      }
    }
    out.sort(BY_WEIGHT);
    return out;
  }
}
