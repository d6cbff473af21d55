package io.jindouyun.support.backoff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTests {

  private final Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(2));

  @Test
  void delaysDoubleUpToTheCeiling() {
    assertThat(backoff.delay(0, () -> 0.999999)).isEqualTo(Duration.ofMillis(99));
    assertThat(backoff.ceiling(0)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.ceiling(1)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.ceiling(3)).isEqualTo(Duration.ofMillis(800));
    assertThat(backoff.ceiling(10)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.ceiling(10_000)).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void jitterKeepsEveryDelayBetweenHalfAndAllOfTheCeiling() {
    assertThat(backoff.delay(2, () -> 0.0)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(2, () -> 0.5)).isEqualTo(Duration.ofMillis(300));
    for (int i = 0; i < 1000; i++) {
      assertThat(backoff.delay(4)).isBetween(Duration.ofMillis(800), Duration.ofMillis(1600));
    }
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
