package io.jindouyun.ipconfig.scoring;

import java.util.Arrays;

/**
 * An online linear fit of a service's TTFT against its instances' signals: {@code ttft ≈ β·x} with
 * {@code x} the regressors of {@link TtftFeatures}, by recursive least squares with a forgetting
 * factor {@code λ} (a sample's weight decays by {@code λ} per later sample, so the fit follows a
 * fleet whose behaviour changes; memory about {@code 1 / (1 - λ)} samples).
 *
 * <p>Per sample: {@code k = Px / (λ + xᵀPx)}, {@code β += k (y - β·x)}, {@code P = (P - k xᵀP) /
 * λ}. Kept bounded and sane:
 *
 * <ul>
 *   <li>a direction the data does not excite (a constant or collinear signal) makes plain RLS's
 *       {@code P} grow by {@code 1/λ} per sample without end ("wind-up"). Each diagonal element of
 *       {@code P} is capped at its initial value {@code p0}: row and column {@code j} are scaled by
 *       {@code √(p0/P_jj)}, which keeps {@code P} symmetric positive definite. In ridge terms, the
 *       fit never knows less about a coefficient than the prior {@code N(0, p0)} said;
 *   <li>the coefficients are not constrained (clipping them inside RLS, e.g. to keep slopes &ge; 0,
 *       makes it diverge along the directions the clip removes); a prediction is clipped at 0;
 *   <li>a sample with a target that is NaN, infinite or &le; 0, or a non-finite regressor, is
 *       rejected and counted, never absorbed; should the arithmetic still fail (a non-finite gain,
 *       or a diagonal of {@code P} that is not positive), {@code P} is reset to {@code p0·I}.
 * </ul>
 *
 * <p>Adding a sample is O(d²) with d = {@link TtftFeatures#COUNT} = 8 and allocates nothing.
 *
 * <p>Not thread-safe: owned by the ranking state, which guards it.
 */
public final class TtftFit {

  private static final int D = TtftFeatures.COUNT;

  private final double forgetting;
  private final double initialVariance;
  private final double[] beta = new double[D];
  private final double[] p = new double[D * D];
  // Scratch, so that adding allocates nothing.
  private final double[] px = new double[D];
  private final double[] w = new double[D];
  private final double[] x = new double[D];
  private long samples;
  private long rejected;

  /**
   * @param forgetting λ in (0, 1]; 1 = never forget
   * @param initialVariance {@code p0} &gt; 0: initial (and largest) variance of a coefficient, in
   *     scaled units
   */
  public TtftFit(double forgetting, double initialVariance) {
    if (!(forgetting > 0 && forgetting <= 1)) {
      throw new IllegalArgumentException("forgetting must be in (0, 1], got " + forgetting);
    }
    if (!(initialVariance > 0) || Double.isInfinite(initialVariance)) {
      throw new IllegalArgumentException("initial variance must be > 0, got " + initialVariance);
    }
    this.forgetting = forgetting;
    this.initialVariance = initialVariance;
    resetCovariance();
  }

  /**
   * Adds the sample's own signals against its own TTFT as a chat would see it ({@link
   * MetricsSample#seenTtftMillis()}); a sample without TTFT (idle interval) is not a target and is
   * skipped.
   *
   * @return true when the fit took it
   */
  public boolean add(MetricsSample sample) {
    double ttft = sample.seenTtftMillis();
    if (ttft == 0) {
      return false;
    }
    TtftFeatures.ofSample(sample, x);
    return add(x, ttft);
  }

  /**
   * Adds one observation.
   *
   * @param scaled the scaled regressors ({@link TtftFeatures}), length {@link TtftFeatures#COUNT}
   * @param ttftMillis the observed TTFT, ms, finite and &gt; 0
   * @return false (and counted as rejected) when the target or a regressor is invalid
   */
  public boolean add(double[] scaled, double ttftMillis) {
    if (!(ttftMillis > 0) || Double.isInfinite(ttftMillis) || !finite(scaled)) {
      rejected++;
      return false;
    }
    double y = ttftMillis / TtftFeatures.TTFT_SCALE;
    // px = P·x, column by column (P is symmetric): independent sums the JIT can vectorise.
    Arrays.fill(px, 0);
    for (int j = 0; j < D; j++) {
      double xj = scaled[j];
      int row = j * D;
      for (int i = 0; i < D; i++) {
        px[i] += p[row + i] * xj;
      }
    }
    double quad = 0;
    double predicted = 0;
    for (int i = 0; i < D; i++) {
      quad += scaled[i] * px[i];
      predicted += beta[i] * scaled[i];
    }
    double denominator = forgetting + quad;
    double gain = (y - predicted) / denominator;
    if (!(denominator > 0) || !Double.isFinite(gain)) {
      resetCovariance();
      rejected++;
      return false;
    }
    for (int i = 0; i < D; i++) {
      beta[i] += px[i] * gain;
    }
    // P = (P - px·pxᵀ / denominator) / λ, as P/λ - w·wᵀ with w = px / √(λ·denominator): w_i·w_j
    // equals w_j·w_i exactly, so P stays exactly symmetric.
    double inverseForgetting = 1 / forgetting;
    double root = Math.sqrt(inverseForgetting / denominator);
    for (int i = 0; i < D; i++) {
      w[i] = px[i] * root;
    }
    for (int i = 0; i < D; i++) {
      int row = i * D;
      double wi = w[i];
      for (int j = 0; j < D; j++) {
        p[row + j] = p[row + j] * inverseForgetting - wi * w[j];
      }
    }
    capVariances();
    samples++;
    return true;
  }

  /** Predicted TTFT, ms (&ge; 0), for scaled regressors {@code scaled}. */
  public double predict(double[] scaled) {
    double s = 0;
    for (int i = 0; i < D; i++) {
      s += beta[i] * scaled[i];
    }
    return Math.max(0, s * TtftFeatures.TTFT_SCALE);
  }

  /** Observations taken. */
  public long samples() {
    return samples;
  }

  /** Observations rejected (invalid target or regressor). */
  public long rejected() {
    return rejected;
  }

  /** The coefficients in natural units: ms of TTFT per unit of each regressor, in order. */
  public double[] coefficients() {
    double[] out = new double[D];
    for (int j = 0; j < D; j++) {
      out[j] = beta[j] * TtftFeatures.TTFT_SCALE / TtftFeatures.scale(j);
    }
    return out;
  }

  /** Trace of the covariance {@code P} (scaled units), for boundedness checks. */
  public double covarianceTrace() {
    double t = 0;
    for (int i = 0; i < D; i++) {
      t += p[i * D + i];
    }
    return t;
  }

  private void capVariances() {
    for (int j = 0; j < D; j++) {
      double v = p[j * D + j];
      if (v > initialVariance) {
        double f = Math.sqrt(initialVariance / v);
        for (int k = 0; k < D; k++) {
          p[j * D + k] *= f;
          p[k * D + j] *= f;
        }
      } else if (!(v > 0)) {
        // Lost positive definiteness to rounding (or NaN): start over from the prior.
        resetCovariance();
        return;
      }
    }
  }

  private void resetCovariance() {
    Arrays.fill(p, 0);
    for (int i = 0; i < D; i++) {
      p[i * D + i] = initialVariance;
    }
  }

  private static boolean finite(double[] v) {
    for (double d : v) {
      if (!Double.isFinite(d)) {
        return false;
      }
    }
    return v.length == D;
  }
}
