package io.jindouyun.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ContextBudgetTests {

  static Turn turn(String question, String answer) {
    return new Turn(
        "s-" + question,
        1,
        "c",
        "u",
        "m",
        List.of(new Message("user", question)),
        answer,
        null,
        "stop",
        false,
        null,
        0,
        null,
        0,
        false);
  }

  @Test
  void keepsTheNewestTurnsThatFitOldestFirst() {
    Turn oldest = turn("aaaa", "aaaaaa"); // 10
    Turn middle = turn("bbbb", "bbbbbb"); // 10
    Turn newest = turn("cccc", "cccccc"); // 10

    assertThat(new ContextBudget(25).select(List.of(newest, middle, oldest)))
        .containsExactly(middle, newest);
    assertThat(new ContextBudget(30).select(List.of(newest, middle, oldest)))
        .containsExactly(oldest, middle, newest);
  }

  @Test
  void aTurnThatDoesNotFitWholeLeavesOutEveryOlderOne() {
    Turn small = turn("a", "a");
    Turn big = turn("b".repeat(50), "b");

    assertThat(new ContextBudget(20).select(List.of(big, small))).isEmpty();
  }

  @Test
  void aZeroBudgetCarriesNothingAndANegativeOneIsRefused() {
    assertThat(new ContextBudget(0).select(List.of(turn("a", "b")))).isEmpty();
    assertThatThrownBy(() -> new ContextBudget(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
