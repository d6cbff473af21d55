package io.jindouyun.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserConcurrencyTests {

  @Test
  void aUserGetsAtMostTheBoundAndPlacesComeBackOnRelease() {
    UserConcurrency bound = new UserConcurrency(2);
    UserConcurrency.Permit a = bound.tryAcquire("u");
    UserConcurrency.Permit b = bound.tryAcquire("u");
    assertThat(a).isNotNull();
    assertThat(b).isNotNull();
    assertThat(bound.tryAcquire("u")).isNull();
    assertThat(bound.tryAcquire("v")).isNotNull();

    a.release();
    a.release(); // a second release gives nothing back twice
    assertThat(bound.running("u")).isEqualTo(1);
    assertThat(bound.tryAcquire("u")).isNotNull();
    assertThat(bound.tryAcquire("u")).isNull();
  }

  @Test
  void aUserWithNothingRunningHoldsNoEntry() {
    UserConcurrency bound = new UserConcurrency(1);
    UserConcurrency.Permit p = bound.tryAcquire("u");
    assertThat(bound.users()).isEqualTo(1);
    p.release();
    assertThat(bound.users()).isZero();
  }
}
