package io.jindouyun.ipconfig.scoring;

/**
 * Turns scores into integer weights: the best instance gets {@link ScoringPolicy#WEIGHT_SCALE}, the
 * others {@code round(scale × max(floor, score / best))}. When no score is above 0 every instance
 * gets the full weight (nothing to tell them apart). Stateless.
 */
public final class Weights {

  private Weights() {}

  /** Weights for {@code scores}, same order. */
  public static int[] fromScores(double[] scores, double floor) {
    double best = 0;
    for (double s : scores) {
      best = Math.max(best, s);
    }
    int[] weights = new int[scores.length];
    for (int i = 0; i < scores.length; i++) {
      double relative = best > 0 ? Math.max(0, scores[i]) / best : 1;
      weights[i] = (int) Math.round(ScoringPolicy.WEIGHT_SCALE * Math.max(floor, relative));
    }
    return weights;
  }
}
