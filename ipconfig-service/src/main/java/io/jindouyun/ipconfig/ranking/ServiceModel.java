package io.jindouyun.ipconfig.ranking;

import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.SlidingWindow;
import io.jindouyun.ipconfig.scoring.TtftFit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ranking state of one service that outlives a recompute: the TTFT fit, each member's last
 * {@link Verdict} (with its published weight, for hysteresis), and the churn meter that damps the
 * ranking.
 *
 * <ul>
 *   <li><b>Hysteresis</b> ({@link #publish}): a published weight changes only when the target
 *       differs from it by more than {@code hysteresis} (relative). A drop applies at once; a rise
 *       is limited to {@code max-rise-per-second} weight points per second since the last change,
 *       and once started continues to its target (the band does not stop it short).
 *   <li><b>Damping</b> ({@link #endRound}): rank changes (positions of the listed order, by
 *       published weight then id, that differ from the previous recompute's) are counted over the
 *       last minute; above {@code damp-above} per minute the service is damped (predictions read
 *       the damped window instead of the fast one) until the count falls to half of it.
 * </ul>
 *
 * <p>Bounds: one verdict per member of the last recompute (members are bounded by {@code
 * max-instances-per-service}); the churn window has 6 buckets.
 *
 * <p>Not thread-safe: owned by the ranking state, which guards it.
 */
public final class ServiceModel {

  private static final long CHURN_WINDOW_MILLIS = 60_000;
  // The fit's prior variance per coefficient (scaled units, see TtftFeatures): wide enough to let
  // the first samples speak, and the cap that keeps an unexcited direction bounded.
  private static final double FIT_INITIAL_VARIANCE = 1e4;

  private final ScoringPolicy.Prediction settings;
  private final TtftFit fit;
  private final Map<String, Verdict> verdicts = new HashMap<>();
  private final SlidingWindow churn = new SlidingWindow(CHURN_WINDOW_MILLIS / 6, 6, 1);
  private List<String> lastOrder = List.of();
  private long round;
  private int seen;
  private boolean damped;

  public ServiceModel(ScoringPolicy.Prediction settings) {
    this.settings = settings;
    this.fit = new TtftFit(settings.forgetting(), FIT_INITIAL_VARIANCE);
  }

  /** The prediction settings. */
  public ScoringPolicy.Prediction settings() {
    return settings;
  }

  /** Feeds one accepted sample to the fit (its own signals against its own TTFT). */
  public boolean learn(MetricsSample sample) {
    return fit.add(sample);
  }

  /** The fit. */
  public TtftFit fit() {
    return fit;
  }

  /** True when the fit has enough samples for its predictions to be used. */
  public boolean fitReady() {
    return fit.samples() >= settings.minSamples();
  }

  /** True while the ranking churns: predictions read the damped window. */
  public boolean damped() {
    return damped;
  }

  /** The recent window predictions read now: {@link InstanceStats#DAMPED} while damped. */
  int window() {
    return damped ? InstanceStats.DAMPED : InstanceStats.FAST;
  }

  /** Rank changes over the last minute. */
  public double rankChangesPerMinute(long nowMillis) {
    double w = churn.weight(nowMillis, 0);
    return w > 0 ? churn.average(nowMillis, 0) * w : 0;
  }

  /** Starts a recompute. */
  void beginRound() {
    round++;
    seen = 0;
  }

  /** The verdict of {@code id} for this recompute (created on first sight). */
  Verdict verdict(String id) {
    Verdict v = verdicts.computeIfAbsent(id, k -> new Verdict());
    if (v.round != round) {
      seen++;
    }
    v.round = round;
    v.listed = false;
    return v;
  }

  /** The verdict of {@code id} from the last recompute, if it was a member. */
  Verdict lastVerdict(String id) {
    return verdicts.get(id);
  }

  /**
   * Applies the hysteresis to a listed instance's {@code target} weight and returns the weight to
   * serve.
   */
  int publish(Verdict v, int target, long nowMillis) {
    v.listed = true;
    v.target = target;
    if (v.published < 0) {
      return set(v, target, nowMillis);
    }
    double band = settings.hysteresis();
    if (target < v.published) {
      if (target < v.published * (1 - band)) {
        return set(v, target, nowMillis);
      }
    } else if (target > v.published && (v.rising || target > v.published * (1 + band))) {
      // A rise under way continues to its target, the band notwithstanding.
      double allowed =
          v.published + settings.maxRisePerSecond() * (nowMillis - v.publishedAtMillis) / 1000.0;
      int next = (int) Math.min(target, Math.floor(allowed));
      if (next > v.published) {
        set(v, next, nowMillis);
      }
      v.rising = next < target;
      v.held = v.rising;
      return v.published;
    }
    v.rising = false;
    v.held = v.published != target;
    return v.published;
  }

  private static int set(Verdict v, int weight, long nowMillis) {
    v.published = weight;
    v.publishedAtMillis = nowMillis;
    v.held = false;
    v.rising = false;
    return weight;
  }

  /**
   * Ends a recompute: forgets members that were not seen, counts the rank changes of the listed
   * order {@code ids} (best first, by published weight then id) and updates the damping.
   */
  void endRound(List<String> ids, long nowMillis) {
    if (verdicts.size() > seen) {
      verdicts.values().removeIf(v -> v.round != round);
    }
    int changes = Math.abs(ids.size() - lastOrder.size());
    for (int i = 0; i < Math.min(ids.size(), lastOrder.size()); i++) {
      if (!ids.get(i).equals(lastOrder.get(i))) {
        changes++;
      }
    }
    lastOrder = new ArrayList<>(ids);
    churn.add(nowMillis, 0, changes, 1);
    double perMinute = rankChangesPerMinute(nowMillis);
    double limit = settings.dampAboveRankChangesPerMinute();
    if (perMinute > limit) {
      damped = true;
    } else if (perMinute <= limit / 2) {
      damped = false;
    }
  }
}
