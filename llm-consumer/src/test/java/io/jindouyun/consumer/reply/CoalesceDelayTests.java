package io.jindouyun.consumer.reply;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class CoalesceDelayTests {

  private final CoalesceDelay delay =
      new CoalesceDelay(Duration.ofMillis(20), Duration.ofMillis(100), 500);

  @Test
  void fewJobsWaitTheShortestDelay() {
    assertThat(delay.nanos(0)).isEqualTo(Duration.ofMillis(20).toNanos());
    assertThat(delay.nanos(10)).isEqualTo(Duration.ofMillis(20).toNanos());
  }

  @Test
  void moreJobsWaitLongerSoThatChunksStayNearTheRate() {
    // 25 jobs / 500 chunks per second = 50 ms: 25 / 0.05 s = 500 chunks per second
    assertThat(delay.nanos(25)).isEqualTo(Duration.ofMillis(50).toNanos());
    assertThat(delay.nanos(40)).isEqualTo(Duration.ofMillis(80).toNanos());
  }

  @Test
  void noTokenWaitsLongerThanTheLongestDelay() {
    assertThat(delay.nanos(1_000)).isEqualTo(Duration.ofMillis(100).toNanos());
    assertThat(delay.nanos(Integer.MAX_VALUE)).isEqualTo(Duration.ofMillis(100).toNanos());
  }

  @Test
  void aFixedDelayIgnoresTheLoad() {
    CoalesceDelay fixed = CoalesceDelay.fixed(Duration.ofMillis(20));
    assertThat(fixed.nanos(0)).isEqualTo(fixed.nanos(100_000));
  }

  @Test
  void aLongestDelayBelowTheShortestIsTheShortest() {
    CoalesceDelay odd = new CoalesceDelay(Duration.ofMillis(30), Duration.ofMillis(10), 100);
    assertThat(odd.nanos(1_000)).isEqualTo(Duration.ofMillis(30).toNanos());
  }

  @Test
  void refusesANegativeDelayOrNoRate() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new CoalesceDelay(Duration.ofMillis(-1), Duration.ofMillis(10), 1));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new CoalesceDelay(Duration.ZERO, Duration.ofMillis(10), 0));
  }
}
