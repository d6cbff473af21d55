package io.jindouyun.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.stream.StreamDeadlines.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class StreamDeadlinesTests {

  private static final long SECOND = 1_000_000_000L;

  private final ManualDeadlines timer = new ManualDeadlines(10);
  private final List<String> expired = new ArrayList<>();
  private final StreamDeadlines.Expiry expiry =
      new StreamDeadlines.Expiry() {
        @Override
        public void expire(Generation gen, Kind kind) {
          expired.add(kind.label());
        }

        @Override
        public void gapTimedOut(Generation gen) {
          expired.add("gap");
        }

        @Override
        public void warmTimedOut(UserSlot slot) {
          expired.add("warm");
        }
      };
  private final StreamDeadlines deadlines = newDeadlines(timer);
  private final Generation gen = newGeneration();

  private StreamDeadlines newDeadlines(ManualDeadlines on) {
    return new StreamDeadlines(on, TestLimits.small(), () -> on.now, expiry);
  }

  private Generation newGeneration() {
    return new Generation("u1", "s1", 1, timer.now, 0, new ByteBudget(10_000), TestLimits.small());
  }

  private Cursor attach(Generation g) {
    return g.attach(null, () -> {}, c -> g.detach(c, timer.now), timer.now);
  }

  @Test
  void aDeadlineWhoseTimeIsUpHandsItsGenerationToTheExpiry() {
    deadlines.arm(gen, Kind.CLAIM);
    assertThat(gen.armed().armed(Kind.CLAIM)).isTrue();
    timer.advance(10 * SECOND - 1);
    assertThat(expired).isEmpty();
    timer.advance(1);
    assertThat(expired).containsExactly("claim");
    assertThat(gen.armed().armed(Kind.CLAIM)).isFalse();
    assertThat(timer.pending()).isZero();
  }

  @Test
  void aDeadlineTouchedSinceItWasArmedReArmsForTheRestOfTheTime() {
    deadlines.arm(gen, Kind.CLAIM);
    timer.advance(4 * SECOND);
    attach(gen).close(); // touched at 4 s, unclaimed again
    deadlines.arm(gen, Kind.CLAIM);
    assertThat(timer.pending()).as("the first claim deadline is still pending").isEqualTo(1);
    timer.advance(6 * SECOND);
    assertThat(expired).isEmpty();
    assertThat(gen.armed().armed(Kind.CLAIM)).isTrue();
    assertThat(timer.pending()).isEqualTo(1);
    timer.advance(4 * SECOND);
    assertThat(expired).containsExactly("claim");
  }

  @Test
  void aDeadlineWithNothingLeftToWaitForLapsesAndCanBeArmedAgain() {
    Cursor reader = attach(gen);
    deadlines.arm(gen, Kind.CLAIM);
    timer.advance(10 * SECOND);
    assertThat(expired).isEmpty();
    assertThat(gen.armed().armed(Kind.CLAIM)).isFalse();
    assertThat(timer.pending()).isZero();
    reader.close();
    deadlines.arm(gen, Kind.CLAIM);
    assertThat(timer.pending()).isEqualTo(1);
  }

  @Test
  void eachKindIsArmedAtMostOnceAndRunsForItsOwnTime() {
    deadlines.arm(gen, Kind.GAP);
    deadlines.arm(gen, Kind.GAP);
    deadlines.arm(gen, Kind.ACK);
    deadlines.arm(gen, Kind.ACK);
    assertThat(timer.pending()).isEqualTo(2);
    gen.apply(new IncomingChunk("s1", 1, 1, 1, "b", "", null, null, 0), timer.now);
    timer.advance(2 * SECOND);
    assertThat(expired).containsExactly("gap");
    gen.fail(ProblemKind.STREAM_GAP, "test", timer.now);
    assertThat(gen.ack()).isTrue();
    timer.advance(18 * SECOND);
    assertThat(expired).containsExactly("gap");
    assertThat(gen.armed().armed(Kind.ACK)).isFalse();
  }

  @Test
  void aFullTimerExpiresNothingEarlyButRetiresAWarmSlotAtOnce() {
    StreamDeadlines full = newDeadlines(new ManualDeadlines(0));
    full.arm(gen, Kind.GAP);
    full.arm(gen, Kind.CLAIM);
    full.arm(gen, Kind.ACK);
    assertThat(expired).isEmpty();
    assertThat(gen.armed().armed(Kind.GAP)).isFalse();
    assertThat(gen.armed().armed(Kind.ACK)).isFalse();
    UserSlot slot = new UserSlot("u1", 2, timer.now);
    full.armWarm(slot);
    assertThat(expired).containsExactly("warm");
    assertThat(slot.armed().armed(Kind.WARM)).isFalse();
  }

  @Test
  void theLifetimeEndsAnOpenGenerationEvenWhenItsOtherDeadlinesWereRefused() {
    ManualDeadlines room = new ManualDeadlines(2);
    StreamDeadlines tight = newDeadlines(room);
    tight.armOpened(gen); // lifetime and claim: the timer is full now
    attach(gen);
    tight.arm(gen, Kind.GAP);
    assertThat(gen.armed().armed(Kind.GAP)).isFalse();
    room.advance(100 * SECOND - 1);
    assertThat(expired).isEmpty();
    room.advance(1);
    assertThat(expired).containsExactly("lifetime");
  }

  @Test
  void theLifetimeStandsInForARefusedAckAndWaitsTheAckTimeAfterTheFinish() {
    ManualDeadlines room = new ManualDeadlines(2);
    StreamDeadlines tight = newDeadlines(room);
    tight.armOpened(gen);
    Cursor reader = gen.attach(null, () -> {}, c -> gen.detach(c, room.now), room.now);
    room.advance(90 * SECOND); // the claim deadline lapsed at 10 s
    room.schedule(1_000 * SECOND, () -> {}); // and something else took its place: full
    gen.apply(new IncomingChunk("s1", 1, 1, 0, "answer", "stop", null, null, 0), room.now);
    tight.arm(gen, Kind.ACK);
    assertThat(gen.armed().armed(Kind.ACK)).as("refused").isFalse();
    room.advance(10 * SECOND);
    assertThat(expired).as("a reader is still on the finished answer").isEmpty();
    reader.close();
    room.advance(20 * SECOND - 1);
    assertThat(expired).isEmpty();
    room.advance(1);
    assertThat(expired).containsExactly("lifetime");
  }

  @Test
  void disarmCancelsTheLifetimeDeadline() {
    deadlines.armOpened(gen);
    assertThat(timer.pending()).isEqualTo(2);
    deadlines.disarm(gen);
    assertThat(timer.pending()).isEqualTo(1);
  }

  @Test
  void theFirstClaimOfAGenerationRefusedByAFullTimerIsTheCallersToUndo() {
    StreamDeadlines full = newDeadlines(new ManualDeadlines(0));
    assertThatThrownBy(() -> full.armOpened(gen)).isInstanceOf(RejectedExecutionException.class);
    assertThat(expired).isEmpty();
  }

  @Test
  void theWarmDeadlineReArmsAfterATouchAndLapsesWhileTheSlotIsInUse() {
    UserSlot slot = new UserSlot("u1", 2, timer.now);
    deadlines.armWarm(slot);
    deadlines.armWarm(slot);
    assertThat(timer.pending()).isEqualTo(1);
    timer.advance(20 * SECOND);
    slot.touch(timer.now);
    timer.advance(10 * SECOND);
    assertThat(expired).isEmpty();
    assertThat(slot.armed().armed(Kind.WARM)).isTrue();
    slot.replaceCurrent(null, gen);
    timer.advance(20 * SECOND);
    assertThat(expired).isEmpty();
    assertThat(slot.armed().armed(Kind.WARM)).isFalse();
    slot.replaceCurrent(gen, null);
    deadlines.armWarm(slot);
    timer.advance(30 * SECOND);
    assertThat(expired).containsExactly("warm");
  }

  @Test
  void aReaderLeavingWhileTheClaimDeadlineFiresLeavesExactlyOneDeadline() {
    Cursor reader = attach(gen);
    // the firing deadline reads the clock after it cleared its flag and before it reads the
    // generation: the reader leaves (and arms) right there, as a racing thread could
    Runnable[] race = {() -> {}};
    StreamDeadlines racing =
        new StreamDeadlines(
            timer,
            TestLimits.small(),
            () -> {
              race[0].run();
              return timer.now;
            },
            expiry);
    racing.arm(gen, Kind.CLAIM);
    race[0] =
        () -> {
          race[0] = () -> {};
          reader.close();
          racing.arm(gen, Kind.CLAIM);
        };
    timer.advance(10 * SECOND);
    assertThat(timer.pending()).isEqualTo(1);
    assertThat(expired).isEmpty();
    timer.advance(10 * SECOND);
    assertThat(expired).containsExactly("claim");
  }

  @Test
  void kindLabelsAreTheListenerAndCancelReasonNames() {
    assertThat(Kind.values())
        .extracting(Kind::label)
        .containsExactly("claim", "ack", "gap", "warm", "lifetime");
  }
}
