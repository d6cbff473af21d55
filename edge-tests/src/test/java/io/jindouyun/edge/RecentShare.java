package io.jindouyun.edge;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * One gateway's share of the handshakes that a set of stand-in gateways answered over the last
 * {@code window}, from their own counters, sampled on each call of {@link #get()} (poll it, e.g.
 * from Awaitility). Only samples taken since it was created count.
 *
 * <p>Thread-safe: {@link #get()} is synchronized.
 */
final class RecentShare {

  /** Fewest handshakes in a window for its share to count. */
  private static final int MIN_HANDSHAKES = 10;

  private final StandInGateway of;
  private final List<StandInGateway> all;
  private final long windowMillis;
  private final Deque<long[]> samples = new ArrayDeque<>();

  /** The share of {@code of} among {@code all} (which includes it). */
  RecentShare(StandInGateway of, List<StandInGateway> all, Duration window) {
    this.of = of;
    this.all = all;
    this.windowMillis = window.toMillis();
    get();
  }

  /**
   * The share over the last window (from the newest sample at least a window old to now); NaN while
   * less than a window has been sampled or fewer than 10 handshakes were answered in it.
   */
  synchronized double get() {
    long now = System.currentTimeMillis();
    long total = 0;
    for (StandInGateway g : all) {
      total += g.count("handshake");
    }
    long[] last = {now, of.count("handshake"), total};
    samples.addLast(last);
    while (samples.size() > 1 && nth(1)[0] <= now - windowMillis) {
      samples.removeFirst();
    }
    long[] first = samples.peekFirst();
    if (now - first[0] < windowMillis || last[2] - first[2] < MIN_HANDSHAKES) {
      return Double.NaN;
    }
    return (last[1] - first[1]) / (double) (last[2] - first[2]);
  }

  private long[] nth(int n) {
    return samples.stream().skip(n).findFirst().orElseThrow();
  }
}
