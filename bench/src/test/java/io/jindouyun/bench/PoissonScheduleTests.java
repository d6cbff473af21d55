package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PoissonScheduleTests {

  @Test
  void arrivalsComeAtTheRateWithExponentialGaps() {
    long[] offsets = PoissonSchedule.offsetsNanos(50, Duration.ofSeconds(400), 7, 100_000);
    // 20,000 expected; the standard deviation of a Poisson count is sqrt(20,000) ≈ 141
    assertThat(offsets.length).isBetween(20_000 - 600, 20_000 + 600);
    double[] gaps = new double[offsets.length - 1];
    double sum = 0;
    for (int i = 1; i < offsets.length; i++) {
      gaps[i - 1] = offsets[i] - offsets[i - 1];
      sum += gaps[i - 1];
    }
    double mean = sum / gaps.length;
    double variance = 0;
    int longerThanMean = 0;
    for (double gap : gaps) {
      variance += (gap - mean) * (gap - mean);
      longerThanMean += gap > mean ? 1 : 0;
    }
    double cv = Math.sqrt(variance / gaps.length) / mean;
    assertThat(mean).isCloseTo(20_000_000.0, within(600_000.0)); // 1 / 50 per s = 20 ms
    assertThat(cv).isCloseTo(1.0, within(0.05)); // exponential: standard deviation = mean
    // P(gap > mean) = 1/e for an exponential, 0.5 for evenly spread or normal gaps
    assertThat((double) longerThanMean / gaps.length).isCloseTo(Math.exp(-1), within(0.02));
  }

  @Test
  void offsetsIncreaseAndStayInsideTheLength() {
    long[] offsets = PoissonSchedule.offsetsNanos(200, Duration.ofSeconds(5), 3, 10_000);
    assertThat(offsets).isSorted();
    assertThat(offsets[0]).isNotNegative();
    assertThat(offsets[offsets.length - 1]).isLessThan(Duration.ofSeconds(5).toNanos());
  }

  @Test
  void theSameSeedGivesTheSameScheduleAndAnotherSeedAnother() {
    long[] a = PoissonSchedule.offsetsNanos(30, Duration.ofSeconds(10), 11, 10_000);
    assertThat(PoissonSchedule.offsetsNanos(30, Duration.ofSeconds(10), 11, 10_000)).isEqualTo(a);
    assertThat(PoissonSchedule.offsetsNanos(30, Duration.ofSeconds(10), 12, 10_000))
        .isNotEqualTo(a);
  }

  @Test
  void aRateThatIsNotPositiveOrAScheduleAboveTheLimitIsRefused() {
    assertThatThrownBy(() -> PoissonSchedule.offsetsNanos(0, Duration.ofSeconds(1), 1, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PoissonSchedule.offsetsNanos(Double.NaN, Duration.ofSeconds(1), 1, 10))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PoissonSchedule.offsetsNanos(1000, Duration.ofSeconds(1), 1, 10))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than 10 arrivals");
    assertThat(PoissonSchedule.offsetsNanos(5, Duration.ZERO, 1, 10)).isEmpty();
  }
}
