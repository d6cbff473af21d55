package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FailureBudgetTests {

  @Test
  void failsOnlyTheFirstRequestsOfAKey() {
    FailureBudget budget = new FailureBudget(10);

    assertThat(budget.tryFail("a", 2)).isTrue();
    assertThat(budget.tryFail("b", 2)).isTrue();
    assertThat(budget.tryFail("a", 2)).isTrue();
    assertThat(budget.tryFail("a", 2)).isFalse();
    assertThat(budget.tryFail("a", 2)).isFalse();
    assertThat(budget.tryFail("b", 2)).isTrue();
  }

  @Test
  void zeroTimesFailsEveryRequestWithoutRememberingTheKey() {
    FailureBudget budget = new FailureBudget(10);

    assertThat(budget.tryFail("a", 0)).isTrue();
    assertThat(budget.tryFail("a", 0)).isTrue();
    assertThat(budget.size()).isZero();
  }

  @Test
  void holdsAtMostMaxKeysEvictingTheLeastRecentlyUsed() {
    FailureBudget budget = new FailureBudget(2);
    budget.tryFail("a", 1);
    budget.tryFail("b", 1);
    budget.tryFail("a", 1);
    budget.tryFail("c", 1);

    assertThat(budget.size()).isEqualTo(2);
    assertThat(budget.tryFail("a", 1)).as("a was used recently and is remembered").isFalse();
    assertThat(budget.tryFail("b", 1)).as("b was evicted, its count starts over").isTrue();
  }
}
