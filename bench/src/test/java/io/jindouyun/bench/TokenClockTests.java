package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TokenClockTests {

  private static final long MS = 1_000_000L;

  @Test
  void tokensOnTheLlmScheduleHaveNoLag() {
    LatencyStats lag = new LatencyStats();
    TokenClock clock = new TokenClock(new int[] {3, 6, 9}, 25);
    clock.arrived(3, 1_000 * MS, lag);
    clock.arrived(6, 1_025 * MS, lag);
    clock.arrived(9, 1_050 * MS, lag);
    assertThat(lag.count()).isEqualTo(3);
    assertThat(lag.millisAt(100)).isLessThan(1.0);
  }

  @Test
  void tokensSharingALateChunkShowTheirWait() {
    LatencyStats lag = new LatencyStats();
    TokenClock clock = new TokenClock(new int[] {3, 6, 9}, 25);
    clock.arrived(3, 1_000 * MS, lag);
    // tokens 1 and 2 (due at 1025 and 1050 ms) arrive together at 1100 ms
    clock.arrived(9, 1_100 * MS, lag);
    assertThat(lag.count()).isEqualTo(3);
    assertThat(lag.millisAt(100)).isBetween(74.0, 76.0);
    assertThat(lag.millisAt(50)).isBetween(49.0, 51.0);
  }

  @Test
  void aResetCountsTheTokensAgainOnTheFirstSchedule() {
    LatencyStats lag = new LatencyStats();
    TokenClock clock = new TokenClock(new int[] {3, 6}, 25);
    clock.arrived(6, 1_000 * MS, lag);
    clock.reset();
    clock.arrived(3, 1_200 * MS, lag);
    assertThat(lag.count()).isEqualTo(3);
    assertThat(lag.millisAt(100)).isBetween(199.0, 201.0);
  }

  @Test
  void anAnswerWithoutKnownTokensIsNotMeasured() {
    LatencyStats lag = new LatencyStats();
    new TokenClock(null, 25).arrived(10, 1_000 * MS, lag);
    assertThat(lag.count()).isZero();
  }
}
