package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HandshakeSharesTests {

  private static final long MS = 1_000_000L;
  private static final List<String> GATEWAYS = List.of("gw-1", "gw-2", "gw-3", "gw-4");

  /**
   * A handshake every 10 ms, in turn to the four gateways, except that in [sickFrom, sickTo) gw-4
   * gets only every {@code sickEvery}-th of its turns (the others go to gw-1).
   */
  private static List<HandshakeShares.Handshake> timeline(
      long endMs, long sickFromMs, long sickToMs, int sickEvery) {
    List<HandshakeShares.Handshake> list = new ArrayList<>();
    int turn = 0;
    for (long t = 0; t < endMs; t += 10) {
      String gateway = GATEWAYS.get((int) (t / 10 % 4));
      if (gateway.equals("gw-4") && t >= sickFromMs && t < sickToMs && turn++ % sickEvery != 0) {
        gateway = "gw-1";
      }
      list.add(new HandshakeShares.Handshake(t * MS, gateway));
    }
    return list;
  }

  @Test
  void sharesAreCountedOverTheGivenStretchOnly() {
    List<HandshakeShares.Handshake> list = new ArrayList<>(timeline(4_000, 2_000, 4_000, 1_000));
    list.add(new HandshakeShares.Handshake(2_500 * MS, null)); // a failed handshake: no gateway
    HandshakeShares shares = new HandshakeShares(list);
    assertThat(shares.shares(GATEWAYS, 0, 2_000 * MS))
        .allSatisfy((g, s) -> assertThat(s).isCloseTo(0.25, within(1e-9)));
    var sick = shares.shares(GATEWAYS, 2_000 * MS, 4_000 * MS);
    assertThat(sick.get("gw-4")).isCloseTo(0.005, within(1e-9)); // 1 of 200
    assertThat(sick.get("gw-1")).isCloseTo(0.495, within(1e-9));
    assertThat(shares.shares(GATEWAYS, 5_000 * MS, 6_000 * MS)).containsEntry("gw-1", 0.0);
  }

  @Test
  void theTimeBelowHalfFairShareCountsFromTheFaultOverATrailingWindow() {
    // gw-4 gets nothing from 3.0 s on: the 1 s trailing window drops below 12.5% when fewer than
    // 12.5 of its 100 handshakes are gw-4's, i.e. once it holds less than 0.5 s of the healthy
    // turns
    HandshakeShares shares = new HandshakeShares(timeline(10_000, 3_000, 6_000, 1_000_000));
    long faultStart = 2_800 * MS; // the fault began before the routing changed
    var below =
        shares.timeBelow("gw-4", 0.125, faultStart, 6_000 * MS, 1_000 * MS, 8).getAsLong() / MS;
    // at t = 3,500 + x the window (t − 1 s, t] still holds gw-4's turns of (t − 1 s, 3.0 s)
    assertThat(below).isBetween(3_450L - 2_800L, 3_560L - 2_800L);
  }

  @Test
  void aGatewayThatKeepsItsShareIsNeverBelowHalf() {
    HandshakeShares shares = new HandshakeShares(timeline(10_000, 3_000, 6_000, 1));
    assertThat(shares.timeBelow("gw-4", 0.125, 3_000 * MS, 6_000 * MS, 1_000 * MS, 8)).isEmpty();
  }

  @Test
  void theTimeBackIsWhenTheNextHoldIsWithinTheToleranceOfFairShare() {
    // gw-4 gets a tenth of its turns until 7.0 s, its full share after; the fault ended at 6.0 s
    HandshakeShares shares = new HandshakeShares(timeline(12_000, 2_000, 7_000, 10));
    long back =
        shares.timeBack("gw-4", 0.25, 0.2, 6_000 * MS, 12_000 * MS, 1_000 * MS, 8).getAsLong() / MS;
    // a 1 s hold starting at t holds (7,000 − t) ms of sick turns; its share is within 20%
    // (>= 0.2) once that part is short enough: about t = 6,800 (0.2 × 0.025/0.25 + 0.8 → 0.205)
    assertThat(back).isBetween(700L, 900L);
    assertThat(shares.timeBack("gw-4", 0.25, 0.2, 6_000 * MS, 12_000 * MS, 1_000 * MS, 8))
        .hasValue(back * MS);
  }

  @Test
  void aGatewayThatNeverComesBackInTimeHasNoTimeBack() {
    HandshakeShares shares = new HandshakeShares(timeline(12_000, 2_000, 12_000, 10));
    assertThat(shares.timeBack("gw-4", 0.25, 0.2, 6_000 * MS, 12_000 * MS, 1_000 * MS, 8))
        .isEmpty();
    // nor when the hold does not fit before the end of the round
    HandshakeShares healthy = new HandshakeShares(timeline(12_000, 0, 0, 1));
    assertThat(healthy.timeBack("gw-4", 0.25, 0.2, 11_500 * MS, 12_000 * MS, 1_000 * MS, 8))
        .isEmpty();
    assertThat(healthy.timeBack("gw-4", 0.25, 0.2, 6_000 * MS, 12_000 * MS, 1_000 * MS, 8))
        .hasValue(0L);
  }
}
