package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RoutingRowTests {

  private static final long MS = 1_000_000L;
  private static final List<String> GATEWAYS = List.of("gw-1", "gw-2", "gw-3", "gw-4");

  /**
   * 40 chats/s for 10 s; the fault lasts from 2 s to 6 s. A door that routes around it sends gw-4
   * nothing from 2.5 s to 7 s; the TTFT of chats sent during the fault is {@code faultTtftMs}, else
   * 100 ms; one chat fails and one has wrong text.
   */
  private static OpenLoopChats.Round round(boolean routesAround, long faultTtftMs) {
    List<OpenLoopChats.Chat> chats = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      long t = i * 25 * MS;
      String gateway = GATEWAYS.get(i % 4);
      if (routesAround && gateway.equals("gw-4") && t >= 2_500 * MS && t < 7_000 * MS) {
        gateway = "gw-1";
      }
      boolean inFault = t >= 2_000 * MS && t < 6_000 * MS;
      long ttft = (inFault ? faultTtftMs : 100) * MS;
      String error = i == 7 ? "handshake 502" : null;
      chats.add(new OpenLoopChats.Chat(t, gateway, error == null ? ttft : -1, error, i == 9));
    }
    return new OpenLoopChats.Round(chats, 2_000 * MS, 6_000 * MS, 10_000 * MS);
  }

  private static RoutingRow row(String door, boolean routesAround, long faultTtftMs) {
    return RoutingRow.of(
        door,
        "quota",
        0.8,
        40,
        round(routesAround, faultTtftMs),
        GATEWAYS,
        "gw-4",
        1_000 * MS,
        2_000 * MS,
        20);
  }

  @Test
  void aDoorThatRoutesAroundTheFaultShowsWhenTheSickShareFellAndCameBack() {
    RoutingRow edge = row("edge", true, 200);
    assertThat(edge.chats()).isEqualTo(400);
    assertThat(edge.errors()).isEqualTo(1);
    assertThat(edge.wrongText()).isEqualTo(1);
    assertThat(edge.p99Ms()).isCloseTo(200, within(1.0));
    // fault window 2–6 s: gw-4 had its turns for 0.5 s of the 4 s
    assertThat(edge.shares().get("gw-4")).isCloseTo(0.25 * 0.5 / 4, within(0.01));
    // the trailing 1 s window falls below 12.5% half a second after gw-4 stopped getting chats
    assertThat(edge.belowHalfMs()).isBetween(900.0, 1_100.0);
    // a 2 s hold from t holds (7 − t) s without gw-4: within 20% once that is ≤ 0.4 s
    assertThat(edge.backMs()).isBetween(550.0, 700.0);
  }

  @Test
  void roundRobinNeverMovesAndTheTablesCompareEachDoorWithIt() {
    RoutingRow rr = row("rr", false, 400);
    RoutingRow lc = row("lc", false, 300);
    RoutingRow edge = row("edge", true, 200);
    assertThat(rr.belowHalfMs()).isInfinite();
    assertThat(rr.backMs()).isZero();
    assertThat(rr.maxShareDeviation()).isCloseTo(0, within(1e-9));
    String markdown = RoutingRow.markdown(List.of(edge, rr, lc), GATEWAYS, "gw-4");
    assertThat(markdown.lines())
        .anySatisfy(line -> assertThat(line).contains("| rr |", "| 1.00 | 1.33 |", "never"))
        .anySatisfy(line -> assertThat(line).contains("| edge |", "| 0.50 | 0.67 |"));
    // rows come out in the order of the doors' first appearance, whatever order they ran in
    assertThat(markdown.indexOf("| edge |")).isLessThan(markdown.indexOf("| rr |"));
    String csv = RoutingRow.csv(List.of(rr, edge), GATEWAYS);
    assertThat(csv.lines().findFirst().orElseThrow()).contains("share_gw-4", "back_ms");
    assertThat(csv.lines()).anySatisfy(line -> assertThat(line).startsWith("0.80,40.00,quota,rr,"));
  }
}
