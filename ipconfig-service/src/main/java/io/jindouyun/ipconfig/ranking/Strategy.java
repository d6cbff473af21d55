package io.jindouyun.ipconfig.ranking;

import java.util.Locale;

/** How a service's list is built; chosen by an operator override, {@link #SCORE} by default. */
public enum Strategy {
  /** Weights from live scores; the best {@code listSize} instances. */
  SCORE,
  /** The operator's weights; instances without a weight (or weight 0) are left out. */
  MANUAL,
  /**
   * The edge hashes users over the weighted instances; weights are the operator's when given, else
   * from scores.
   */
  HASH,
  /**
   * As {@link #SCORE}, with the instances named in {@code drain} taken out (required non-empty).
   */
  DRAIN;

  /** Name as written in overrides and served in the best list. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }
}
