package io.jindouyun.ipconfig.ranking;

import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.ScoreExplanation;
import io.jindouyun.ipconfig.scoring.Signal;
import io.jindouyun.ipconfig.scoring.TtftFit;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Why a service's members got their weights, for operators ({@code /v1/scores/{service}}).
 *
 * @param coefficients the fit's coefficients in natural units (ms of TTFT per unit), in the order
 *     of {@link io.jindouyun.ipconfig.scoring.TtftFeatures#NAMES}
 * @param samples observations the fit took
 * @param rejected observations the fit rejected (invalid target or signal)
 * @param fitReady the fit has {@code min-samples} and its predictions are used
 * @param damped the ranking churned: predictions read the damped window
 * @param rankChangesPerMinute rank changes counted over the last minute
 * @param members per member id, in member order
 */
public record ServiceExplanation(
    double[] coefficients,
    long samples,
    long rejected,
    boolean fitReady,
    boolean damped,
    double rankChangesPerMinute,
    Map<String, Member> members) {

  public ServiceExplanation {
    coefficients = coefficients.clone();
    members = Collections.unmodifiableMap(new LinkedHashMap<>(members));
  }

  @Override
  public double[] coefficients() {
    return coefficients.clone();
  }

  /**
   * One member.
   *
   * @param prior its linear score from the configured metric weights, explained
   * @param fast average of each {@link Signal} in the fast window (NaN when none), by ordinal
   * @param slow the same in the damped window
   * @param verdict the last recompute's verdict; null when it has not been ranked yet
   */
  public record Member(ScoreExplanation prior, double[] fast, double[] slow, Verdict.View verdict) {
    public Member {
      fast = fast.clone();
      slow = slow.clone();
    }

    @Override
    public double[] fast() {
      return fast.clone();
    }

    @Override
    public double[] slow() {
      return slow.clone();
    }
  }

  static ServiceExplanation of(ServiceModel model, long nowMillis, Map<String, Member> members) {
    TtftFit fit = model.fit();
    return new ServiceExplanation(
        fit.coefficients(),
        fit.samples(),
        fit.rejected(),
        model.fitReady(),
        model.damped(),
        model.rankChangesPerMinute(nowMillis),
        members);
  }

  static double[] signals(InstanceStats stats, int window, long nowMillis) {
    double[] out = new double[Signal.COUNT];
    Arrays.fill(out, Double.NaN);
    if (stats != null) {
      for (int i = 0; i < out.length; i++) {
        out[i] = stats.recent(window, Signal.of(i), nowMillis);
      }
    }
    return out;
  }
}
