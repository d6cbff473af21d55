package io.jindouyun.ipconfig.ranking;

/**
 * Why one instance got its weight in the last recompute, for {@code /v1/scores}. Mutable and reused
 * across recomputes (no allocation per instance per recompute); {@link #view()} is the immutable
 * copy handed out.
 *
 * <p>Not thread-safe: owned by its {@link ServiceModel}.
 */
public final class Verdict {

  Verdict() {}

  /** Where an instance's relative weight came from. */
  public enum Basis {
    /** No fresh sample: the neutral score. */
    STALE,
    /** Neither an observed TTFT nor a usable fit: the linear score of the configured weights. */
    PRIOR,
    /** The observed TTFT (the fit was not used, or predicted less). */
    OBSERVED,
    /** The fit's prediction from the signals (above the observed TTFT, or none observed). */
    MODEL
  }

  double prior = Double.NaN;
  double model = Double.NaN;
  double observed = Double.NaN;
  double predicted = Double.NaN;
  double relative = Double.NaN;
  Basis basis = Basis.STALE;
  int target = -1;
  int published = -1;
  long publishedAtMillis;
  boolean held;
  boolean rising;
  boolean listed;
  long round;

  /**
   * The immutable copy.
   *
   * @param basis where the relative weight came from
   * @param prior the linear score of the configured metric weights, 0..1; NaN when no member of the
   *     service was ranked by the prior (it is not computed then)
   * @param modelMillis the fit's prediction from the signals, NaN when the fit was not used
   * @param observedMillis the observed TTFT of the fast (or, failing that, damped) window; NaN when
   *     none
   * @param predictedMillis the TTFT ranked by, NaN when the basis is the prior or stale
   * @param relative the relative weight before rounding and hysteresis, 0..1
   * @param targetWeight the weight the relative weight asks for, -1 when not listed
   * @param publishedWeight the weight served, -1 when not listed
   * @param held the served weight differs from the target (hysteresis band or rise limit)
   */
  public record View(
      Basis basis,
      double prior,
      double modelMillis,
      double observedMillis,
      double predictedMillis,
      double relative,
      int targetWeight,
      int publishedWeight,
      boolean held) {}

  View view() {
    return new View(
        basis,
        prior,
        model,
        observed,
        predicted,
        relative,
        listed ? target : -1,
        listed ? published : -1,
        listed && held);
  }
}
