package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OffsetTrackerTests {

  private final OffsetTracker<Integer, String> tracker = new OffsetTracker<>();

  @Test
  void laterJobFinishingFirstCommitsNothingUntilTheEarlierOneFinishes() {
    var first = tracker.received(0, 10, "a10");
    var second = tracker.received(0, 11, "a11");
    var third = tracker.received(0, 12, "a12");

    assertThat(tracker.finished(third)).isEmpty();
    assertThat(tracker.finished(second)).isEmpty();
    assertThat(tracker.tracked()).isEqualTo(3);
    assertThat(tracker.finished(first)).contains("a12");
    assertThat(tracker.tracked()).isZero();
  }

  @Test
  void inOrderCompletionCommitsEachRecord() {
    var first = tracker.received(0, 0, "a0");
    var second = tracker.received(0, 1, "a1");
    assertThat(tracker.finished(first)).contains("a0");
    assertThat(tracker.finished(second)).contains("a1");
  }

  @Test
  void partitionsAreIndependent() {
    var p0 = tracker.received(0, 5, "p0");
    var p1 = tracker.received(1, 7, "p1");
    assertThat(tracker.finished(p1)).contains("p1");
    assertThat(tracker.tracked()).isEqualTo(1);
    assertThat(tracker.finished(p0)).contains("p0");
  }

  @Test
  void ticketsOfARevokedPartitionNeverCommit() {
    var old = tracker.received(0, 3, "old");
    tracker.revoke(0);
    assertThat(tracker.tracked()).isZero();
    var fresh = tracker.received(0, 3, "fresh");
    assertThat(tracker.finished(old)).isEmpty();
    assertThat(tracker.finished(fresh)).contains("fresh");
  }

  @Test
  void aRedeliveredOffsetIsTrackedOnce() {
    var first = tracker.received(0, 1, "x");
    var again = tracker.received(0, 1, "y");
    assertThat(tracker.tracked()).isEqualTo(1);
    assertThat(tracker.finished(again)).contains("x");
    assertThat(tracker.finished(first)).isEmpty();
  }
}
