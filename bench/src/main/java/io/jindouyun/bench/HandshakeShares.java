package io.jindouyun.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Which gateway took each handshake, in the order the handshakes were sent, and what that says
 * about routing around a sick gateway. Pure; immutable once built.
 *
 * <p>Times are nanoseconds on one clock (the round's). A handshake whose gateway is unknown (it
 * failed) counts in no gateway's share and in no window's total.
 */
final class HandshakeShares {

  /** One handshake: when it was sent and the gateway that answered it ({@code null}: none). */
  record Handshake(long atNanos, String gateway) {}

  private final long[] times;
  private final String[] gateways;

  /**
   * @param handshakes in any order; those without a gateway are left out
   */
  HandshakeShares(List<Handshake> handshakes) {
    Handshake[] known =
        handshakes.stream()
            .filter(h -> h.gateway() != null)
            .sorted((a, b) -> Long.compare(a.atNanos(), b.atNanos()))
            .toArray(Handshake[]::new);
    times = new long[known.length];
    gateways = new String[known.length];
    for (int i = 0; i < known.length; i++) {
      times[i] = known[i].atNanos();
      gateways[i] = known[i].gateway();
    }
  }

  /** Each of {@code names}' share (0–1) of the handshakes sent in [from, to); 0 when none. */
  Map<String, Double> shares(List<String> names, long from, long to) {
    int lo = firstAtOrAfter(from);
    int hi = firstAtOrAfter(to);
    Map<String, Double> shares = new LinkedHashMap<>();
    for (String name : names) {
      int n = 0;
      for (int i = lo; i < hi; i++) {
        if (gateways[i].equals(name)) {
          n++;
        }
      }
      shares.put(name, hi > lo ? (double) n / (hi - lo) : 0.0);
    }
    return shares;
  }

  /**
   * Time from {@code faultStart} to the first handshake sent in [faultStart, faultEnd) at which the
   * sick gateway's share of the handshakes sent in the trailing {@code window} (ending at that
   * handshake) is below {@code threshold}; windows with fewer than {@code minCount} handshakes are
   * not judged. Empty when it never happens.
   */
  OptionalLong timeBelow(
      String sick, double threshold, long faultStart, long faultEnd, long window, int minCount) {
    int lo = firstAtOrAfter(faultStart);
    int hi = firstAtOrAfter(faultEnd);
    int from = firstAtOrAfter(times.length == 0 || lo >= hi ? 0 : times[lo] - window + 1);
    int sickInWindow = count(sick, from, lo);
    for (int i = lo; i < hi; i++) {
      if (gateways[i].equals(sick)) {
        sickInWindow++;
      }
      while (times[from] <= times[i] - window) {
        if (gateways[from].equals(sick)) {
          sickInWindow--;
        }
        from++;
      }
      int total = i - from + 1;
      if (total >= minCount && (double) sickInWindow / total < threshold) {
        return OptionalLong.of(times[i] - faultStart);
      }
    }
    return OptionalLong.empty();
  }

  /**
   * Time from {@code faultEnd} to the first handshake sent at or after it from which, over the next
   * {@code hold}, the sick gateway's share is within {@code tolerance} (relative) of {@code fair}:
   * |share − fair| ≤ tolerance × fair. Only judged while the hold fits before {@code roundEnd} and
   * holds at least {@code minCount} handshakes. Empty when it never happens.
   */
  OptionalLong timeBack(
      String sick,
      double fair,
      double tolerance,
      long faultEnd,
      long roundEnd,
      long hold,
      int minCount) {
    int lo = firstAtOrAfter(faultEnd);
    int to = lo;
    int sickInHold = 0;
    for (int i = lo; i < times.length && times[i] + hold <= roundEnd; i++) {
      while (to < times.length && times[to] < times[i] + hold) {
        if (gateways[to].equals(sick)) {
          sickInHold++;
        }
        to++;
      }
      int total = to - i;
      if (total >= minCount && Math.abs((double) sickInHold / total - fair) <= tolerance * fair) {
        return OptionalLong.of(times[i] - faultEnd);
      }
      if (gateways[i].equals(sick)) {
        sickInHold--;
      }
    }
    return OptionalLong.empty();
  }

  private int count(String name, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      if (gateways[i].equals(name)) {
        n++;
      }
    }
    return n;
  }

  /** The index of the first handshake sent at or after {@code time} (length when none). */
  private int firstAtOrAfter(long time) {
    int i = Arrays.binarySearch(times, time);
    if (i < 0) {
      return -i - 1;
    }
    while (i > 0 && times[i - 1] == time) {
      i--;
    }
    return i;
  }
}
