package io.jindouyun.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LagRingTests {

  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;

  @Test
  void theRingHoldsAWholeWindowAtTheProbePeriod() {
    assertThat(LagRing.capacityFor(SECOND, 100 * MS)).isEqualTo(11);
    assertThat(LagRing.capacityFor(SECOND, 300 * MS)).isEqualTo(5);
    assertThat(LagRing.capacityFor(SECOND, SECOND)).isEqualTo(2);
    assertThat(LagRing.capacityFor(SECOND, MS)).isEqualTo(1001);
    assertThatThrownBy(() -> LagRing.capacityFor(SECOND, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void onlySamplesOfTheLastWindowAreRead() {
    LagRing ring = new LagRing(11, SECOND);
    ring.record(0, 500 * MS); // old
    ring.record(900 * MS, 3 * MS);
    ring.record(1_500 * MS, 7 * MS);
    long[] into = new long[11];

    int n = ring.copyRecent(1_800 * MS, into, 0);

    assertThat(n).isEqualTo(2);
    assertThat(into).startsWith(3 * MS, 7 * MS);
  }

  @Test
  void theOldestSampleIsOverwrittenWhenTheRingIsFull() {
    LagRing ring = new LagRing(3, SECOND);
    for (int i = 1; i <= 5; i++) {
      ring.record(i * MS, i * MS);
    }
    long[] into = new long[4];
    into[0] = -1;

    int n = ring.copyRecent(10 * MS, into, 1);

    assertThat(n).isEqualTo(3);
    assertThat(into).containsExactlyInAnyOrder(-1, 3 * MS, 4 * MS, 5 * MS);
  }

  @Test
  void aTaskThatRanEarlyCountsAsNoLag() {
    LagRing ring = new LagRing(2, SECOND);
    ring.record(10 * MS, -2 * MS);
    long[] into = new long[2];

    ring.copyRecent(10 * MS, into, 0);

    assertThat(into[0]).isZero();
  }

  @Test
  void p99IsTheNearestRankInMilliseconds() {
    long[] hundred = new long[100];
    for (int i = 0; i < 100; i++) {
      hundred[99 - i] = (i + 1) * MS; // 1..100 ms, unsorted
    }
    assertThat(LagRing.percentileMillis(hundred, 100, 0.99)).isEqualTo(99.0);

    long[] quietButOneBlocked = {1 * MS, 1 * MS, 2 * MS, 1 * MS, 300 * MS, 1 * MS, 0, 1 * MS};
    assertThat(LagRing.percentileMillis(quietButOneBlocked, 8, 0.99)).isEqualTo(300.0);
    assertThat(LagRing.percentileMillis(quietButOneBlocked, 8, 0.5)).isEqualTo(1.0);
  }

  @Test
  void noSamplesReadAsNoLag() {
    assertThat(LagRing.percentileMillis(new long[4], 0, 0.99)).isZero();
    assertThat(new LagRing(4, SECOND).copyRecent(0, new long[4], 0)).isZero();
  }

  @Test
  void aRingNeedsRoomAndAWindow() {
    assertThatThrownBy(() -> new LagRing(0, SECOND)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new LagRing(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
