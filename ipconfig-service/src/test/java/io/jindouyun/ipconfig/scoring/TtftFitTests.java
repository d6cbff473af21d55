package io.jindouyun.ipconfig.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TtftFitTests {

  // ms of TTFT per unit: intercept, lag, handshake, load, throttled, gc, queue_wait, upstream_ttft
  private static final double[] TRUE = {60, 2.0, 1.5, 0.4, 300, 4, 1.0, 0.8};
  private static final int D = TtftFeatures.COUNT;
  private final SplittableRandom random = new SplittableRandom(7);

  /** Natural-unit regressors: lag, handshake, load, throttled, gc, queue wait, upstream TTFT. */
  private double[] randomNatural() {
    return new double[] {
      1,
      random.nextDouble(0, 200),
      random.nextDouble(0, 300),
      random.nextDouble(0, 400),
      random.nextDouble(0, 1),
      random.nextDouble(0, 30),
      random.nextDouble(0, 100),
      random.nextDouble(0, 500)
    };
  }

  private static double[] scaled(double[] natural) {
    double[] x = new double[D];
    for (int j = 0; j < D; j++) {
      x[j] = natural[j] / TtftFeatures.scale(j);
    }
    return x;
  }

  private static double truth(double[] natural) {
    double y = 0;
    for (int j = 0; j < D; j++) {
      y += TRUE[j] * natural[j];
    }
    return y;
  }

  @Test
  void recoversKnownCoefficientsFromNoisySamples() {
    TtftFit fit = new TtftFit(0.999, 1e4);
    for (int i = 0; i < 20_000; i++) {
      double[] natural = randomNatural();
      double noise = random.nextDouble(-10, 10); // ±10 ms uniform
      assertThat(fit.add(scaled(natural), truth(natural) + noise)).isTrue();
    }
    double[] beta = fit.coefficients();
    // Tolerance: a few standard errors of each coefficient for this noise and spread.
    double[] tolerance = {3, 0.03, 0.02, 0.015, 6, 0.2, 0.06, 0.015};
    for (int j = 0; j < D; j++) {
      assertThat(beta[j]).as(TtftFeatures.NAMES[j]).isCloseTo(TRUE[j], within(tolerance[j]));
    }
    assertThat(fit.samples()).isEqualTo(20_000);
    assertThat(fit.rejected()).isZero();
    double[] probe = randomNatural();
    assertThat(fit.predict(scaled(probe))).isCloseTo(truth(probe), within(5.0));
  }

  @Test
  void forgettingFollowsAFleetWhoseBehaviourChanges() {
    TtftFit fit = new TtftFit(0.99, 1e4);
    for (int i = 0; i < 2_000; i++) {
      double[] natural = randomNatural();
      fit.add(scaled(natural), truth(natural));
    }
    // The lag now costs 10 ms per ms instead of 2.
    for (int i = 0; i < 1_000; i++) {
      double[] natural = randomNatural();
      fit.add(scaled(natural), truth(natural) + 8 * natural[1]);
    }
    assertThat(fit.coefficients()[1]).isCloseTo(10.0, within(0.05));
  }

  @Test
  void staysBoundedWithConstantSignals() {
    TtftFit fit = new TtftFit(0.95, 1e4);
    double[] natural = {1, 5, 20, 10, 0, 0, 0, 0};
    double[] x = scaled(natural);
    for (int i = 0; i < 200_000; i++) {
      fit.add(x, 120 + random.nextDouble(-1, 1));
    }
    // Plain RLS would have P grow by 1/0.95 per sample in the unexcited directions (overflow long
    // before 200,000 samples); the cap keeps every variance at or under its prior.
    assertThat(fit.covarianceTrace()).isFinite().isLessThanOrEqualTo(D * 1e4);
    for (double b : fit.coefficients()) {
      assertThat(b).isFinite();
    }
    assertThat(fit.predict(x)).isCloseTo(120.0, within(2.0));
  }

  @Test
  void staysBoundedWithCollinearSignals() {
    TtftFit fit = new TtftFit(0.99, 1e4);
    for (int i = 0; i < 100_000; i++) {
      double lag = random.nextDouble(0, 200);
      // handshake time always equals the lag, load is twice it: only their sum is identifiable.
      double[] natural = {1, lag, lag, 2 * lag, 0, 0, 0, 0};
      fit.add(scaled(natural), 50 + 3 * lag + random.nextDouble(-2, 2));
    }
    assertThat(fit.covarianceTrace()).isFinite().isLessThanOrEqualTo(D * 1e4);
    double[] beta = fit.coefficients();
    for (double b : beta) {
      assertThat(b).isFinite().isLessThan(1e4);
    }
    // The identifiable combination is right: lag + handshake + 2 × load = 3 ms per ms of lag.
    assertThat(beta[1] + beta[2] + 2 * beta[3]).isCloseTo(3.0, within(0.05));
    assertThat(fit.predict(scaled(new double[] {1, 100, 100, 200, 0, 0, 0, 0})))
        .isCloseTo(350.0, within(3.0));
  }

  @Test
  void rejectsNanNegativeAndInfiniteSamplesWithoutAbsorbingThem() {
    TtftFit fit = new TtftFit(0.99, 1e4);
    for (int i = 0; i < 500; i++) {
      double[] natural = randomNatural();
      fit.add(scaled(natural), truth(natural));
    }
    double[] before = fit.coefficients();
    double trace = fit.covarianceTrace();
    double[] x = scaled(randomNatural());
    assertThat(fit.add(x, Double.NaN)).isFalse();
    assertThat(fit.add(x, -5)).isFalse();
    assertThat(fit.add(x, 0)).isFalse();
    assertThat(fit.add(x, Double.POSITIVE_INFINITY)).isFalse();
    double[] bad = x.clone();
    bad[1] = Double.NaN;
    assertThat(fit.add(bad, 100)).isFalse();
    bad[1] = Double.NEGATIVE_INFINITY;
    assertThat(fit.add(bad, 100)).isFalse();
    assertThat(fit.coefficients()).containsExactly(before);
    assertThat(fit.covarianceTrace()).isEqualTo(trace);
    assertThat(fit.samples()).isEqualTo(500);
    assertThat(fit.rejected()).isEqualTo(6);
  }

  @Test
  void learnsFromASampleAgainstItsOwnTtftAndSkipsIdleIntervals() {
    TtftFit fit = new TtftFit(0.99, 1e4);
    MetricsSample idle = new MetricsSample(1, 0.2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0);
    assertThat(fit.add(idle)).isFalse();
    assertThat(fit.rejected()).isZero();
    MetricsSample busy = new MetricsSample(2, 0.2, 0, 0, 0, 0, 4, 0, 150, 3, 8, 1, 0, 0, 0, 0);
    assertThat(fit.add(busy)).isTrue();
    assertThat(fit.samples()).isEqualTo(1);
  }
}
