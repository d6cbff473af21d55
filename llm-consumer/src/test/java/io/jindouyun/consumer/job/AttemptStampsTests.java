package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AttemptStampsTests {

  private final AtomicLong now =
      new AtomicLong(Instant.parse("2026-11-22T06:00:00Z").toEpochMilli());
  private final JobKey job = new JobKey("gw-1~abc", 42);

  @Test
  void stampIsDecisecondsSinceTheOrigin() {
    AttemptStamps stamps = new AttemptStamps(now::get, 16);
    long expected = (now.get() - AttemptStamps.ORIGIN.toEpochMilli()) / 100;
    assertThat(stamps.next(job)).isEqualTo((int) expected);
  }

  @Test
  void restartsOfOneJobWithinOneDecisecondStillIncrease() {
    AttemptStamps stamps = new AttemptStamps(now::get, 16);
    int first = stamps.next(job);
    int second = stamps.next(job);
    int third = stamps.next(job);
    assertThat(second).isEqualTo(first + 1);
    assertThat(third).isEqualTo(first + 2);
  }

  @Test
  void aNewProcessLaterStampsHigherThanAnOldOne() {
    AttemptStamps crashed = new AttemptStamps(now::get, 16);
    int old = crashed.next(job);
    now.addAndGet(10_000); // redelivery after a session timeout
    AttemptStamps successor = new AttemptStamps(now::get, 16);
    assertThat(successor.next(job)).isGreaterThan(old);
  }

  @Test
  void manyJobsPerSecondDoNotPushStampsAheadOfTheClock() {
    AttemptStamps busy = new AttemptStamps(now::get, 16);
    for (int i = 0; i < 1_000; i++) {
      busy.next(new JobKey("s" + i, 1));
    }
    long clock = (now.get() - AttemptStamps.ORIGIN.toEpochMilli()) / 100;
    assertThat(busy.next(job)).isEqualTo((int) clock);
  }
}
