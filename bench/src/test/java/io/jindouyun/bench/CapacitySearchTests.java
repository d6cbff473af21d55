package io.jindouyun.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.function.DoublePredicate;
import org.junit.jupiter.api.Test;

class CapacitySearchTests {

  /** Runs a search against a pass/fail rule; returns the rates tried. */
  private static List<Double> search(CapacitySearch search, DoublePredicate passes) {
    List<Double> tried = new ArrayList<>();
    for (OptionalDouble next = search.next(); next.isPresent(); next = search.next()) {
      assertThat(tried).as("trials").hasSizeLessThan(50);
      double rate = next.getAsDouble();
      tried.add(rate);
      search.record(rate, passes.test(rate));
    }
    return tried;
  }

  @Test
  void doublesUntilAFailureThenBisects() {
    CapacitySearch search = new CapacitySearch(10, 1, 1000, 2);
    List<Double> tried = search(search, rate -> rate <= 50);
    assertThat(tried).containsExactly(10.0, 20.0, 40.0, 80.0, 60.0, 50.0);
    assertThat(search.capacity()).hasValue(50.0);
  }

  @Test
  void halvesWhenTheStartFails() {
    CapacitySearch search = new CapacitySearch(40, 2, 1000, 1);
    List<Double> tried = search(search, rate -> rate <= 7);
    assertThat(tried).containsExactly(40.0, 20.0, 10.0, 5.0, 7.5);
    assertThat(search.capacity()).hasValue(5.0);
  }

  @Test
  void stopsAtTheBoundsAndReportsNoCapacityWhenNothingPasses() {
    CapacitySearch everything = new CapacitySearch(10, 1, 30, 3);
    assertThat(search(everything, rate -> true)).containsExactly(10.0, 20.0, 30.0);
    assertThat(everything.capacity()).hasValue(30.0);
    CapacitySearch nothing = new CapacitySearch(4, 1, 30, 3);
    assertThat(search(nothing, rate -> false)).containsExactly(4.0, 2.0, 1.0);
    assertThat(nothing.capacity()).isEmpty();
  }

  @Test
  void inconsistentBoundsAreRefused() {
    assertThatThrownBy(() -> new CapacitySearch(0.5, 1, 10, 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CapacitySearch(5, 1, 10, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
