package io.jindouyun.ipconfig.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SlidingWindowTests {

  private final SlidingWindow window = new SlidingWindow(1000, 3, 2);

  @Test
  void averagesSamplesOfTheCoveredBuckets() {
    window.add(0, 0, 2, 1);
    window.add(500, 0, 4, 1);
    assertThat(window.average(999, 0)).isEqualTo(3.0);
    window.add(1000, 0, 6, 1);
    assertThat(window.average(1500, 0)).isEqualTo(4.0);
    assertThat(window.average(2999, 0)).isEqualTo(4.0);
  }

  @Test
  void evictsBucketsThatFallOutOfTheWindow() {
    window.add(0, 0, 2, 1);
    window.add(500, 0, 4, 1);
    window.add(1000, 0, 6, 1);
    assertThat(window.average(3000, 0)).isEqualTo(6.0);
    assertThat(window.average(4000, 0)).isNaN();
    assertThat(window.weight(4000, 0)).isZero();
  }

  @Test
  void jumpLongerThanTheWindowClearsEverything() {
    window.add(0, 0, 2, 1);
    window.add(0, 1, 5, 1);
    assertThat(window.average(10_000, 0)).isNaN();
    assertThat(window.average(10_000, 1)).isNaN();
    window.add(10_000, 0, 7, 1);
    assertThat(window.average(10_000, 0)).isEqualTo(7.0);
  }

  @Test
  void keepsSeriesApart() {
    window.add(0, 0, 1, 1);
    window.add(0, 1, 9, 1);
    assertThat(window.average(0, 0)).isEqualTo(1.0);
    assertThat(window.average(0, 1)).isEqualTo(9.0);
  }

  @Test
  void ratioOfSumsForRates() {
    window.add(0, 1, 1, 10);
    window.add(1000, 1, 3, 10);
    assertThat(window.average(1000, 1)).isEqualTo(0.2);
  }

  @Test
  void ignoresSamplesOlderThanTheWindowButKeepsLateOnesInside() {
    window.add(5000, 0, 10, 1);
    assertThat(window.add(2000, 0, 100, 1)).isFalse();
    assertThat(window.add(3000, 0, 20, 1)).isTrue();
    assertThat(window.average(5000, 0)).isEqualTo(15.0);
    assertThat(window.average(6000, 0)).isEqualTo(10.0);
  }

  @Test
  void runningSumsLeaveNoResidueAfterManyEvictions() {
    for (long t = 0; t < 100_000; t += 100) {
      window.add(t, 0, 0.1 * (t % 7), 1);
    }
    assertThat(window.average(200_000, 0)).isNaN();
    window.add(200_000, 0, 0.3, 1);
    assertThat(window.average(200_000, 0)).isEqualTo(0.3);
  }

  @Test
  void matchesANaiveWindowOverRandomTimelines() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(7);
    SlidingWindow w = new SlidingWindow(250, 8, 1);
    java.util.List<long[]> samples = new java.util.ArrayList<>();
    long now = 1_000;
    long newestBucket = Long.MIN_VALUE;
    for (int step = 0; step < 20_000; step++) {
      int kind = random.nextInt(10);
      now += kind == 0 ? random.nextLong(5_000) : random.nextLong(120);
      long at = kind == 1 ? now - random.nextLong(3_000) : now;
      long value = random.nextLong(100);
      newestBucket = Math.max(newestBucket, Math.floorDiv(at, 250L));
      if (w.add(at, 0, value, 1)) {
        samples.add(new long[] {at, value});
      } else {
        assertThat(Math.floorDiv(at, 250L)).isLessThanOrEqualTo(newestBucket - 8);
      }
      newestBucket = Math.max(newestBucket, Math.floorDiv(now, 250L));
      long oldest = newestBucket - 8;
      double sum = 0;
      int count = 0;
      for (long[] sample : samples) {
        if (Math.floorDiv(sample[0], 250L) > oldest) {
          sum += sample[1];
          count++;
        }
      }
      samples.removeIf(sample -> Math.floorDiv(sample[0], 250L) <= oldest);
      double expected = count == 0 ? Double.NaN : sum / count;
      if (count == 0) {
        assertThat(w.average(now, 0)).isNaN();
      } else {
        assertThat(w.average(now, 0)).isCloseTo(expected, within(1e-9));
      }
    }
  }

  @Test
  void rejectsNonPositiveDenominator() {
    assertThatThrownBy(() -> window.add(0, 0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
