package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UserRatesTests {

  private final UserRates rates = new UserRates(3, 1000, 2);

  @Test
  void aUserGetsItsBurstThenOneJobPerRefillPeriod() {
    assertThat(rates.tryTake("ada", 0)).isTrue();
    assertThat(rates.tryTake("ada", 0)).isTrue();
    assertThat(rates.tryTake("ada", 0)).isTrue();
    assertThat(rates.tryTake("ada", 999)).isFalse();
    assertThat(rates.tryTake("ada", 1999)).isTrue();
    assertThat(rates.tryTake("ada", 1999)).isFalse();
  }

  @Test
  void usersHaveBucketsOfTheirOwn() {
    for (int i = 0; i < 3; i++) {
      rates.tryTake("ada", 0);
    }
    assertThat(rates.tryTake("ada", 0)).isFalse();
    assertThat(rates.tryTake("bo", 0)).isTrue();
  }

  @Test
  void anEarlierTimeThanTheBucketsLastRefillsNothing() {
    for (int i = 0; i < 3; i++) {
      rates.tryTake("ada", 5000);
    }
    assertThat(rates.tryTake("ada", 1000)).isFalse();
  }

  @Test
  void theBucketsAreBoundedAndAForgottenUserStartsFull() {
    for (int i = 0; i < 3; i++) {
      rates.tryTake("ada", 0);
    }
    rates.tryTake("bo", 0);
    rates.tryTake("cy", 0);

    assertThat(rates.size()).isEqualTo(2);
    assertThat(rates.tryTake("ada", 0)).isTrue();
  }
}
