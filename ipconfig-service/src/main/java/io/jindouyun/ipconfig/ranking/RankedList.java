package io.jindouyun.ipconfig.ranking;

import io.jindouyun.contract.InstanceRecord;
import java.util.List;

/**
 * The computed list of one service, best first.
 *
 * @param strategy strategy in force
 * @param entries listed instances, best first
 * @param damping whether the ranking churns and is damped (not part of the routing)
 */
public record RankedList(Strategy strategy, List<Entry> entries, Damping damping) {

  public RankedList {
    entries = List.copyOf(entries);
  }

  /** A list without churn information (not damped, no rank change counted). */
  public RankedList(Strategy strategy, List<Entry> entries) {
    this(strategy, entries, Damping.NONE);
  }

  /**
   * The service's churn when the list was computed.
   *
   * @param damped predictions read the damped window because the ranking churned
   * @param rankChangesPerMinute rank changes counted over the last minute
   */
  public record Damping(boolean damped, double rankChangesPerMinute) {
    /** Not damped, nothing counted. */
    public static final Damping NONE = new Damping(false, 0);
  }

  /**
   * One listed instance.
   *
   * @param instance the instance
   * @param weight traffic weight (0..100 from scores, 0..1000 from an operator)
   * @param score relative weight 0..1 before rounding and hysteresis (see {@link Ranker})
   * @param stale no fresh metrics: the score is the neutral score
   */
  public record Entry(InstanceRecord instance, int weight, double score, boolean stale) {}

  /** True when both lists route the same way: same strategy and same instances and weights. */
  public boolean sameRouting(RankedList other) {
    if (other == null || strategy != other.strategy || entries.size() != other.entries.size()) {
      return false;
    }
    for (int i = 0; i < entries.size(); i++) {
      Entry a = entries.get(i);
      Entry b = other.entries.get(i);
      if (a.weight != b.weight || a.stale != b.stale || !a.instance.equals(b.instance)) {
        return false;
      }
    }
    return true;
  }
}
