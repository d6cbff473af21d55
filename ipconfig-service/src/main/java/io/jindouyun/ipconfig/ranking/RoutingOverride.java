package io.jindouyun.ipconfig.ranking;

import java.util.Map;
import java.util.Set;

/**
 * An operator override of one service, stored at {@code /jindouyun/overrides/<service>}. The {@code
 * drain} set applies with every strategy.
 *
 * @param strategy how the list is built
 * @param weights instance id → weight 0..1000 (required for {@code manual}, optional for {@code
 *     hash})
 * @param drain instance ids taken out of the list
 */
public record RoutingOverride(Strategy strategy, Map<String, Integer> weights, Set<String> drain) {

  /** No override: score strategy, nothing drained. */
  public static final RoutingOverride NONE =
      new RoutingOverride(Strategy.SCORE, Map.of(), Set.of());

  /** Largest weight an operator may give. */
  public static final int MAX_WEIGHT = 1000;

  /** Largest number of ids in {@code weights} or {@code drain}. */
  public static final int MAX_ENTRIES = 10_000;

  public RoutingOverride {
    weights = Map.copyOf(weights);
    drain = Set.copyOf(drain);
  }
}
