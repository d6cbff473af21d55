package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
  void commitsOfAPartitionAreHandedOutInOffsetOrderUnderConcurrency() throws Exception {
    int n = 2_000;
    List<OffsetTracker.Ticket<Integer>> tickets = new ArrayList<>();
    for (long offset = 0; offset < n; offset++) {
      tickets.add(tracker.received(0, offset, "a" + offset));
    }
    Collections.shuffle(tickets, new Random(7));
    List<Long> committed = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      for (OffsetTracker.Ticket<Integer> t : tickets) {
        pool.execute(
            () ->
                tracker.finished(t, handle -> committed.add(Long.parseLong(handle.substring(1)))));
      }
    } finally {
      pool.shutdown();
      assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(committed).isSorted().last().isEqualTo((long) n - 1);
    assertThat(tracker.tracked()).isZero();
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

  @Test
  void eachPartitionCountsItsOwnTrackedRecords() {
    var longJob = tracker.received(0, 0, "a0");
    var shortJob = tracker.received(0, 1, "a1");
    tracker.received(1, 0, "b0");

    assertThat(tracker.finished(shortJob)).isEmpty();

    assertThat(tracker.tracked(0)).isEqualTo(2);
    assertThat(tracker.tracked(1)).isEqualTo(1);
    assertThat(tracker.tracked(2)).isZero();
    assertThat(tracker.finished(longJob)).contains("a1");
    assertThat(tracker.tracked(0)).isZero();
  }
}
