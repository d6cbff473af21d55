package io.jindouyun.ipconfig.ranking;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.Signal;
import io.jindouyun.ipconfig.scoring.TtftFeatures;
import io.jindouyun.ipconfig.scoring.Weights;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Function;

/**
 * Builds a service's {@link RankedList} from its live instances, their stats, the service's {@link
 * ServiceModel} and the override.
 *
 * <p><b>Relative weight</b> of each member (its {@code score}, 0..1), read from the fast window
 * (the damped window while the service is damped):
 *
 * <ul>
 *   <li>stale (no sample within {@code stale-after}): the neutral score;
 *   <li>{@code observed} = the TTFT observed in the window (failing that, in the damped window);
 *       {@code model} = the fit's prediction {@code β·x} from the window's signals, used once the
 *       fit has {@code min-samples}; {@code predicted = max(observed, model)} (either alone when
 *       the other is missing), at least {@code min-ttft}. The max lets the signals pull a sick
 *       instance down before its TTFT shows (and while its traffic, hence its observed TTFT, dries
 *       up), and lets a bad observed TTFT count even where the fit has not learnt why;
 *   <li>{@code relative = max(floor, (bestPredicted / predicted)^k)}, best over the members with a
 *       prediction;
 *   <li>a member with no prediction (no TTFT observed and no usable fit: thin data) gets the prior:
 *       its linear score from the configured metric weights relative to the best linear score of
 *       the fresh members (predicted ones included), {@code max(floor, score / bestScore)}. The
 *       prior and the prediction are not averaged: a member is ranked by its prediction as soon as
 *       it has one. The linear score is computed only when some member is ranked by the prior.
 * </ul>
 *
 * <p><b>Lists</b>:
 *
 * <ul>
 *   <li>instances in {@code drain} are removed first, whatever the strategy;
 *   <li>{@code score} / {@code drain}: sort by relative weight (ties by id), keep the best {@code
 *       listSize}, weights {@code round(100 × max(floor, relative / bestRelative))} ({@link
 *       Weights}) through the hysteresis of {@link ServiceModel#publish};
 *   <li>{@code manual}: every live instance with an operator weight &gt; 0, that weight, sorted by
 *       weight then score; no list-size cut (the operator chose);
 *   <li>{@code hash}: as {@code manual} when weights are given, else as {@code score}.
 * </ul>
 *
 * <p>Not thread-safe (a scratch regressor vector): the ranking state calls it under its lock, as it
 * does every use of the stats and the models.
 */
public final class Ranker {

  private static final Comparator<RankedList.Entry> BY_SCORE =
      Comparator.comparingDouble(RankedList.Entry::score)
          .reversed()
          .thenComparing(e -> e.instance().id());

  private static final Comparator<RankedList.Entry> BY_WEIGHT =
      Comparator.comparingInt(RankedList.Entry::weight).reversed().thenComparing(BY_SCORE);

  private static final Comparator<RankedList.Entry> BY_WEIGHT_THEN_ID =
      Comparator.comparingInt(RankedList.Entry::weight)
          .reversed()
          .thenComparing(e -> e.instance().id());

  private final Scorer scorer;
  private final ScoringPolicy policy;
  private final double[] x = new double[TtftFeatures.COUNT];

  public Ranker(Scorer scorer) {
    this.scorer = scorer;
    this.policy = scorer.policy();
  }

  /** The scorer in use (the prior). */
  public Scorer scorer() {
    return scorer;
  }

  /** A fresh model for one service. */
  public ServiceModel newModel() {
    return new ServiceModel(policy.prediction());
  }

  /**
   * Ranks {@code instances}. Not for concurrent use (it owns a scratch vector); the ranking state
   * calls it under its lock.
   *
   * @param listSize largest number of instances listed by score
   * @param stats stats of an instance id, null when none
   * @param override the operator override ({@link RoutingOverride#NONE} when none)
   * @param model the service's fit, verdicts and churn meter; updated
   * @param nowMillis the windows' clock
   */
  public RankedList rank(
      int listSize,
      Collection<InstanceRecord> instances,
      Function<String, InstanceStats> stats,
      RoutingOverride override,
      ServiceModel model,
      long nowMillis) {
    model.beginRound();
    List<InstanceRecord> members = new ArrayList<>(instances.size());
    List<Verdict> verdicts = new ArrayList<>(instances.size());
    List<InstanceStats> memberStats = new ArrayList<>(instances.size());
    double bestPredicted = Double.POSITIVE_INFINITY;
    double bestPrior = 0;
    boolean anyPrior = false;
    for (InstanceRecord instance : instances) {
      if (override.drain().contains(instance.id())) {
        continue;
      }
      Verdict v = model.verdict(instance.id());
      InstanceStats s = stats.apply(instance.id());
      predict(v, s, model, nowMillis);
      if (v.basis == Verdict.Basis.PRIOR) {
        anyPrior = true;
        bestPrior = Math.max(bestPrior, v.prior);
      } else if (v.basis != Verdict.Basis.STALE) {
        bestPredicted = Math.min(bestPredicted, v.predicted);
      }
      members.add(instance);
      verdicts.add(v);
      memberStats.add(s);
    }
    if (anyPrior) {
      // The prior is relative to the best linear score of every fresh member, predicted ones too,
      // so that an instance without evidence does not outrank the measured ones by default.
      for (int i = 0; i < verdicts.size(); i++) {
        Verdict v = verdicts.get(i);
        if (v.basis == Verdict.Basis.OBSERVED || v.basis == Verdict.Basis.MODEL) {
          v.prior = scorer.score(memberStats.get(i), nowMillis);
          bestPrior = Math.max(bestPrior, v.prior);
        }
      }
    }
    List<RankedList.Entry> scored = new ArrayList<>(members.size());
    for (int i = 0; i < members.size(); i++) {
      Verdict v = verdicts.get(i);
      v.relative = relative(v, bestPredicted, bestPrior);
      scored.add(
          new RankedList.Entry(members.get(i), 0, v.relative, v.basis == Verdict.Basis.STALE));
    }
    Strategy strategy = override.strategy();
    boolean manualWeights =
        strategy == Strategy.MANUAL || (strategy == Strategy.HASH && !override.weights().isEmpty());
    List<RankedList.Entry> entries =
        manualWeights
            ? byOperator(scored, override.weights())
            : byScore(scored, listSize, model, nowMillis);
    List<RankedList.Entry> order = new ArrayList<>(entries);
    order.sort(BY_WEIGHT_THEN_ID);
    List<String> ids = new ArrayList<>(order.size());
    for (RankedList.Entry e : order) {
      ids.add(e.instance().id());
    }
    model.endRound(ids, nowMillis);
    return new RankedList(
        strategy,
        entries,
        new RankedList.Damping(model.damped(), model.rankChangesPerMinute(nowMillis)));
  }

  /** Fills the prior, the observed and model TTFT, the prediction and the basis of {@code v}. */
  private void predict(Verdict v, InstanceStats s, ServiceModel model, long nowMillis) {
    // The prior (the linear score) is computed only where it is used: reading three windows of
    // five metrics for every instance would double the cost of a recompute.
    v.prior = Double.NaN;
    v.model = Double.NaN;
    v.observed = Double.NaN;
    v.predicted = Double.NaN;
    if (scorer.isStale(s, nowMillis)) {
      v.basis = Verdict.Basis.STALE;
      return;
    }
    int window = model.window();
    v.observed = s.recent(window, Signal.TTFT, nowMillis);
    if (Double.isNaN(v.observed) && window == InstanceStats.FAST) {
      v.observed = s.recent(InstanceStats.DAMPED, Signal.TTFT, nowMillis);
    }
    if (model.fitReady()) {
      TtftFeatures.ofWindow(s, window, nowMillis, x);
      v.model = model.fit().predict(x);
    }
    if (Double.isNaN(v.model) && Double.isNaN(v.observed)) {
      v.basis = Verdict.Basis.PRIOR;
      v.prior = scorer.score(s, nowMillis);
      return;
    }
    boolean byModel = Double.isNaN(v.observed) || v.model > v.observed;
    v.basis = byModel ? Verdict.Basis.MODEL : Verdict.Basis.OBSERVED;
    v.predicted = Math.max(policy.prediction().minTtftMillis(), byModel ? v.model : v.observed);
  }

  private double relative(Verdict v, double bestPredicted, double bestPrior) {
    double floor = policy.weightFloor();
    return switch (v.basis) {
      case STALE -> policy.neutralScore();
      case PRIOR -> bestPrior > 0 ? Math.max(floor, v.prior / bestPrior) : 1;
      case OBSERVED, MODEL ->
          Math.max(floor, Math.pow(bestPredicted / v.predicted, policy.prediction().exponent()));
    };
  }

  private List<RankedList.Entry> byScore(
      List<RankedList.Entry> scored, int listSize, ServiceModel model, long nowMillis) {
    List<RankedList.Entry> top = best(scored, listSize);
    double[] scores = new double[top.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = top.get(i).score();
    }
    int[] weights = Weights.fromScores(scores, policy.weightFloor());
    List<RankedList.Entry> out = new ArrayList<>(top.size());
    for (int i = 0; i < scores.length; i++) {
      RankedList.Entry e = top.get(i);
      int weight = model.publish(model.lastVerdict(e.instance().id()), weights[i], nowMillis);
      out.add(new RankedList.Entry(e.instance(), weight, e.score(), e.stale()));
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
