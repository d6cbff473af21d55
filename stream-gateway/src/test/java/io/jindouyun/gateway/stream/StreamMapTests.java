package io.jindouyun.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class StreamMapTests {

  private static final long SECOND = 1_000_000_000L;

  private final ManualDeadlines timer = new ManualDeadlines(1000);
  private final List<String> cancels = new CopyOnWriteArrayList<>();
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final AtomicInteger micros = new AtomicInteger(1);
  private StreamLimits limits = TestLimits.small();
  private StreamMap map = newMap();

  private StreamMap newMap() {
    return newMap(timer);
  }

  private StreamMap newMap(ManualDeadlines on) {
    return new StreamMap(
        limits,
        new GenerationClock(() -> 1000L),
        on,
        (sid, gen, reason) -> cancels.add(sid + "/" + gen + "/" + reason),
        new StreamMapListener() {
          @Override
          public void expired(String kind) {
            events.add("expired-" + kind);
          }

          @Override
          public void slotReused() {
            events.add("reused");
          }

          @Override
          public void resumed(boolean exact) {
            events.add("resumed-" + exact);
          }
        },
        () -> on.now,
        () -> 5000L);
  }

  private static IncomingChunk chunk(Generation g, int attempt, long seq, String delta) {
    return new IncomingChunk(g.streamId(), g.number(), attempt, seq, delta, "", null, null, 5001L);
  }

  private static IncomingChunk last(Generation g, int attempt, long seq, String delta) {
    return new IncomingChunk(
        g.streamId(),
        g.number(),
        attempt,
        seq,
        delta,
        "stop",
        new TokenUsage(1, 2, 3),
        null,
        5001L);
  }

  /** What the budget holds for one generation whose text got {@code deltas}, in that order. */
  private static long held(String... deltas) {
    AnswerText t = new AnswerText(deltas[0].length());
    for (String d : deltas) {
      t.append(d, Utf8.length(d), 0);
    }
    return Generation.OVERHEAD_BYTES + t.heapBytes();
  }

  private static String text(List<StreamEvent> evs) {
    return evs.stream().map(StreamMapTests::describe).collect(Collectors.joining());
  }

  private static String describe(StreamEvent e) {
    if (e instanceof StreamEvent.Chunk c) {
      return c.delta();
    } else if (e instanceof StreamEvent.Reset) {
      return "<reset>";
    } else if (e instanceof StreamEvent.Done d) {
      return "<done:" + d.finishReason() + ">";
    } else if (e instanceof StreamEvent.Failed f) {
      return "<error:" + f.problem().type() + ">";
    }
    return "<superseded>";
  }

  @Test
  void appliesChunksInSeqOrderAndTheReaderGetsTheExactText() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "Hel"));
    assertThat(text(c.poll())).isEqualTo("Hel");
    map.onChunk(chunk(g, 1, 2, "ld"));
    map.onChunk(chunk(g, 1, 1, "lo wor"));
    map.onChunk(last(g, 1, 3, "!"));
    assertThat(text(c.poll())).isEqualTo("lo world!<done:stop>");
    assertThat(c.finished()).isTrue();
    assertThat(map.bufferedBytes()).isEqualTo(held("Hel", "lo wor", "ld", "!"));
  }

  @Test
  void duplicateSeqIsDropped() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "a"));
    map.onChunk(chunk(g, 1, 0, "a"));
    map.onChunk(chunk(g, 1, 2, "c"));
    map.onChunk(chunk(g, 1, 2, "c"));
    map.onChunk(chunk(g, 1, 1, "b"));
    map.onChunk(chunk(g, 1, 1, "b"));
    assertThat(text(c.poll())).isEqualTo("abc");
  }

  @Test
  void aGapThatNeverFillsFailsTheStreamAfterTheBoundedWaitAndCancelsUpstream() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "a"));
    map.onChunk(chunk(g, 1, 2, "c"));
    timer.advance(SECOND);
    assertThat(text(c.poll())).isEqualTo("a");
    timer.advance(SECOND + 1);
    assertThat(text(c.poll())).isEqualTo("<error:https://jindouyun.io/problems/stream-gap>");
    assertThat(cancels).containsExactly("s1/1000/gap");
  }

  @Test
  void aGapFilledInTimeDoesNotFail() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 1, "b"));
    timer.advance(SECOND);
    map.onChunk(chunk(g, 1, 0, "a"));
    timer.advance(5 * SECOND);
    map.onChunk(last(g, 1, 2, "c"));
    assertThat(text(c.poll())).isEqualTo("abc<done:stop>");
    assertThat(cancels).isEmpty();
  }

  @Test
  void tooManyPendingChunksFailTheStream() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    for (int seq = 1; seq <= 5; seq++) {
      map.onChunk(chunk(g, 1, seq, "x"));
    }
    assertThat(text(c.poll())).isEqualTo("<error:https://jindouyun.io/problems/stream-gap>");
    assertThat(cancels).hasSize(1);
  }

  @Test
  void aHigherAttemptResetsTheBufferAndALowerOneIsAZombie() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 10, 0, "Hel"));
    map.onChunk(chunk(g, 10, 1, "XX"));
    assertThat(text(c.poll())).isEqualTo("HelXX");
    map.onChunk(chunk(g, 25, 0, "Hel"));
    map.onChunk(chunk(g, 10, 2, "zombie"));
    map.onChunk(last(g, 25, 1, "lo"));
    assertThat(text(c.poll())).isEqualTo("<reset>Hello<done:stop>");
    assertThat(map.bufferedBytes())
        .as("the first attempt's text is gone")
        .isEqualTo(held("Hel", "lo"));
    Cursor late = map.attach("u1", "s1", null, () -> {});
    assertThat(text(late.poll())).isEqualTo("Hello<done:stop>");
  }

  @Test
  void lastEventIdResumesStrictlyAfterThatChunk() {
    Generation g = map.open("u1", "s1").generation();
    map.onChunk(chunk(g, 1, 0, "a"));
    map.onChunk(chunk(g, 1, 1, "b"));
    map.onChunk(chunk(g, 1, 2, "c"));
    Cursor c = map.attach("u1", "s1", g.number() + ".1", () -> {});
    map.onChunk(last(g, 1, 3, "d"));
    List<StreamEvent> evs = c.poll();
    assertThat(text(evs)).isEqualTo("cd<done:stop>");
    assertThat(((StreamEvent.Chunk) evs.get(0)).id()).isEqualTo(g.number() + ".2");
    assertThat(events).containsExactly("resumed-true");
  }

  @Test
  void anUnknownLastEventIdStartsOverWithAReset() {
    Generation g = map.open("u1", "s1").generation();
    map.onChunk(chunk(g, 1, 0, "a"));
    Cursor wrongGeneration = map.attach("u1", "s1", "42.0", () -> {});
    Cursor beyondTheEnd = map.attach("u1", "s1", g.number() + ".7", () -> {});
    assertThat(text(wrongGeneration.poll())).isEqualTo("<reset>a");
    assertThat(text(beyondTheEnd.poll())).isEqualTo("<reset>a");
    assertThat(events).containsExactly("resumed-false", "resumed-false");
  }

  @Test
  void aResumeAcrossAResetStartsOverWithAReset() {
    Generation g = map.open("u1", "s1").generation();
    map.onChunk(chunk(g, 1, 0, "a"));
    map.onChunk(chunk(g, 1, 1, "b"));
    map.onChunk(chunk(g, 2, 0, "A"));
    Cursor c = map.attach("u1", "s1", g.number() + ".0", () -> {});
    assertThat(text(c.poll())).isEqualTo("<reset>A");
  }

  @Test
  void twoReadersBothGetEverythingAndAreWoken() {
    Generation g = map.open("u1", "s1").generation();
    AtomicInteger wakeups = new AtomicInteger();
    Cursor a = map.attach("u1", "s1", null, wakeups::incrementAndGet);
    Cursor b = map.attach("u1", "s1", null, wakeups::incrementAndGet);
    map.onChunk(chunk(g, 1, 0, "x"));
    map.onChunk(last(g, 1, 1, "y"));
    assertThat(wakeups).hasValue(4);
    assertThat(text(a.poll())).isEqualTo("xy<done:stop>");
    assertThat(text(b.poll())).isEqualTo("xy<done:stop>");
    assertThatThrownBy(() -> map.attach("u1", "s1", null, () -> {}))
        .isInstanceOfSatisfying(
            ProblemException.class,
            e -> assertThat(e.kind()).isEqualTo(ProblemKind.TOO_MANY_READERS));
    a.close();
    map.attach("u1", "s1", null, () -> {});
  }

  @Test
  void aNewerGenerationSupersedesTheOlderAndItsChunksAreDropped() {
    Generation old = map.open("u1", "s1").generation();
    Cursor oldReader = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(old, 1, 0, "old"));
    Generation newer = map.open("u1", "s2").generation();
    assertThat(newer.number()).isGreaterThan(old.number());
    map.onChunk(chunk(old, 1, 1, "late"));
    assertThat(text(oldReader.poll())).isEqualTo("<superseded>");
    assertThat(cancels).containsExactly("s1/" + old.number() + "/superseded");
    assertThat(map.find("u1", "s1")).isNull();
    assertThat(map.activeStreams()).isEqualTo(1);
    assertThat(map.bufferedBytes())
        .as("the newer one's overhead")
        .isEqualTo(Generation.OVERHEAD_BYTES);
  }

  @Test
  void aSupersededChunkFromTheConsumerEndsTheStreamWithSupersededWithoutACancel() {
    Generation g = map.open("u1", "s1").generation();
    Cursor reader = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "old"));
    assertThat(text(reader.poll())).isEqualTo("old");
    map.onChunk(
        new IncomingChunk(
            "s1",
            g.number(),
            1,
            1,
            "",
            "",
            null,
            StreamProblem.of(ProblemKind.SUPERSEDED, "a newer chat of the same user"),
            5001L));
    assertThat(text(reader.poll())).isEqualTo("<superseded>");
    assertThat(reader.finished()).isTrue();
    assertThat(cancels).isEmpty();
    assertThat(map.find("u1", "s1")).isNull();
    assertThat(map.activeStreams()).isZero();
    assertThat(map.bufferedBytes()).isZero();
    Generation next = map.open("u1", "s2").generation();
    assertThat(map.find("u1", "s2")).isSameAs(next);
  }

  @Test
  void anotherErrorChunkStillEndsTheStreamWithError() {
    Generation g = map.open("u1", "s1").generation();
    Cursor reader = map.attach("u1", "s1", null, () -> {});
    map.onChunk(
        new IncomingChunk(
            "s1",
            g.number(),
            1,
            0,
            "",
            "",
            null,
            StreamProblem.of(ProblemKind.RATE_LIMITED, "too many chats"),
            5001L));
    assertThat(text(reader.poll())).isEqualTo("<error:" + ProblemKind.RATE_LIMITED.type() + ">");
    assertThat(map.find("u1", "s1")).isSameAs(g);
  }

  @Test
  void aChunkWithAnotherGenerationNumberIsDropped() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(new IncomingChunk("s1", g.number() - 1, 1, 0, "stale", "", null, null, 0));
    assertThat(c.poll()).isEmpty();
  }

  @Test
  void anotherUsersStreamIsNotFound() {
    map.open("u1", "s1");
    assertThatThrownBy(() -> map.attach("u2", "s1", null, () -> {}))
        .isInstanceOfSatisfying(
            ProblemException.class,
            e -> assertThat(e.kind()).isEqualTo(ProblemKind.STREAM_NOT_FOUND));
    assertThatThrownBy(() -> map.cancel("u2", "s1")).isInstanceOf(ProblemException.class);
    assertThatThrownBy(() -> map.ack("u2", "s1")).isInstanceOf(ProblemException.class);
  }

  @Test
  void anUnclaimedStreamExpiresAndIsCancelled() {
    Generation g = map.open("u1", "s1").generation();
    timer.advance(10 * SECOND);
    assertThat(map.find("u1", "s1")).isNull();
    assertThat(cancels).containsExactly("s1/" + g.number() + "/expired-claim");
    assertThat(events).containsExactly("expired-claim");
    timer.advance(30 * SECOND);
    assertThat(events).containsExactly("expired-claim", "expired-warm");
    assertThat(map.users()).isZero();
    assertThat(timer.pending()).isZero();
  }

  @Test
  void aClaimedStreamDoesNotExpire() {
    map.open("u1", "s1");
    timer.advance(5 * SECOND);
    map.attach("u1", "s1", null, () -> {});
    timer.advance(60 * SECOND);
    assertThat(map.find("u1", "s1")).isNotNull();
    assertThat(cancels).isEmpty();
  }

  @Test
  void anUnfinishedStreamWhoseLastReaderLeftExpiresUnlessAReaderComesBack() {
    Generation g = map.open("u1", "s1").generation();
    Cursor first = map.attach("u1", "s1", null, () -> {});
    timer.advance(20 * SECOND);
    first.close();
    timer.advance(5 * SECOND);
    Cursor back = map.attach("u1", "s1", null, () -> {});
    timer.advance(20 * SECOND);
    assertThat(map.find("u1", "s1")).isNotNull();
    back.close();
    timer.advance(10 * SECOND);
    assertThat(map.find("u1", "s1")).isNull();
    assertThat(cancels).containsExactly("s1/" + g.number() + "/expired-claim");
  }

  @Test
  void ackReleasesTheBufferAndTheNextHandshakeReusesTheWarmSlot() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(last(g, 1, 0, "hello"));
    assertThat(map.bufferedBytes()).isEqualTo(held("hello"));
    map.ack("u1", "s1");
    assertThat(map.bufferedBytes()).isZero();
    assertThat(text(c.poll())).isEqualTo("<done:stop>");
    assertThat(map.delivered("u1")).containsExactly("s1");
    timer.advance(25 * SECOND);
    StreamMap.Opened again = map.open("u1", "s2");
    assertThat(again.reusedSlot()).isTrue();
    assertThat(events).containsExactly("reused");
    timer.advance(60 * SECOND);
    assertThat(map.find("u1", "s2")).isNull(); // the unclaimed one expired
    assertThat(map.delivered("u1")).isEmpty();
    assertThat(timer.pending()).isZero();
    assertThat(map.users()).isZero();
  }

  @Test
  void ackOfARunningStreamIsRefused() {
    map.open("u1", "s1");
    assertThatThrownBy(() -> map.ack("u1", "s1"))
        .isInstanceOfSatisfying(
            ProblemException.class,
            e -> assertThat(e.kind()).isEqualTo(ProblemKind.STREAM_NOT_FINISHED));
  }

  @Test
  void aFinishedStreamNeverAckedIsReleasedOnceNobodyReadsIt() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(last(g, 1, 0, "hello"));
    timer.advance(30 * SECOND);
    assertThat(map.find("u1", "s1")).isNotNull(); // a reader is still attached
    c.close();
    timer.advance(25 * SECOND);
    assertThat(map.find("u1", "s1")).isNull();
    assertThat(map.bufferedBytes()).isZero();
    assertThat(events).contains("expired-ack");
    assertThat(cancels).isEmpty();
  }

  @Test
  void cancelEndsReadersAndPublishesOnce() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "a"));
    map.cancel("u1", "s1");
    assertThat(text(c.poll())).isEqualTo("<done:cancelled>");
    assertThat(cancels).containsExactly("s1/" + g.number() + "/client");
    assertThat(map.bufferedBytes()).isZero();
    assertThatThrownBy(() -> map.cancel("u1", "s1")).isInstanceOf(ProblemException.class);
  }

  @Test
  void anAnswerOverTheBytesPerStreamFailsAndCancels() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "x".repeat(600)));
    map.onChunk(chunk(g, 1, 1, "y".repeat(600)));
    List<StreamEvent> evs = c.poll();
    assertThat(text(evs)).endsWith("<error:https://jindouyun.io/problems/stream-too-large>");
    assertThat(cancels).containsExactly("s1/" + g.number() + "/bounds");
  }

  @Test
  void handshakesAreRefusedFromSevenEighthsOfTheBudgetUntilBuffersAreReleased() {
    limits = TestLimits.withGlobalByteBudget(2000); // new streams up to 1750 bytes held
    map = newMap();
    Generation g = map.open("u1", "s1").generation();
    map.onChunk(last(g, 1, 0, "x".repeat(900)));
    assertThat(map.bufferedBytes()).isEqualTo(held("x".repeat(900))).isLessThan(1750);
    map.open("u2", "s2");
    assertThatThrownBy(() -> map.open("u3", "s3"))
        .isInstanceOfSatisfying(
            ProblemException.class, e -> assertThat(e.kind()).isEqualTo(ProblemKind.UNAVAILABLE));
    map.ack("u1", "s1");
    assertThat(map.open("u3", "s3").generation()).isNotNull();
  }

  @Test
  void theBudgetCountsTheTextsCapacityAndTwoBytesPerCharOnceItIsNotLatin1() {
    Generation g = map.open("u1", "s1").generation();
    map.onChunk(chunk(g, 1, 0, "a".repeat(100)));
    long latin1 = map.bufferedBytes();
    map.onChunk(chunk(g, 1, 1, "筋"));
    assertThat(g.bytes()).as("UTF-8").isEqualTo(103);
    assertThat(map.bufferedBytes() - Generation.OVERHEAD_BYTES)
        .as("a 202-char array of two-byte chars, doubled from 100")
        .isEqualTo(
            AnswerText.SHALLOW_BYTES
                + 2 * AnswerText.array(4) // one segment and its start
                + AnswerText.BUILDER_BYTES
                + AnswerText.array(2 * 202)
                + 2 * AnswerText.array(32));
    assertThat(latin1 - Generation.OVERHEAD_BYTES)
        .as("100 chars of Latin-1 took one byte each")
        .isEqualTo(
            AnswerText.SHALLOW_BYTES
                + 2 * AnswerText.array(4)
                + AnswerText.BUILDER_BYTES
                + AnswerText.array(100)
                + 2 * AnswerText.array(32));
  }

  @Test
  void chunksHeldBackAreChargedToTheBudgetUntilTheyAreApplied() {
    Generation g = map.open("u1", "s1").generation();
    map.onChunk(chunk(g, 1, 1, "b".repeat(100)));
    assertThat(map.bufferedBytes())
        .isEqualTo(Generation.OVERHEAD_BYTES + Generation.HELD_CHUNK_BYTES + 200);
    map.onChunk(chunk(g, 1, 0, "a"));
    assertThat(map.bufferedBytes()).isEqualTo(held("a", "b".repeat(100)));
  }

  @Test
  void chunksHeldBackCountTowardTheBytesPerStream() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 1, "x".repeat(600)));
    map.onChunk(chunk(g, 1, 2, "y".repeat(600))); // 1,200 bytes held back, over 1,000
    assertThat(text(c.poll())).isEqualTo("<error:https://jindouyun.io/problems/stream-too-large>");
    assertThat(cancels).containsExactly("s1/" + g.number() + "/bounds");
    assertThat(map.bufferedBytes())
        .as("held-back chunks dropped")
        .isEqualTo(Generation.OVERHEAD_BYTES);
  }

  @Test
  void aChunkThatTakesTheBudgetOverItsLimitEndsThatAnswerWithAnErrorAndDropsItsBuffer() {
    limits = TestLimits.withGlobalByteBudget(2000);
    map = newMap();
    Generation first = map.open("u1", "s1").generation();
    Cursor firstReader = map.attach("u1", "s1", null, () -> {});
    map.onChunk(last(first, 1, 0, "a".repeat(400))); // finished, waiting for its reader
    Generation second = map.open("u2", "s2").generation();
    Cursor secondReader = map.attach("u2", "s2", null, () -> {});
    map.onChunk(chunk(second, 1, 0, "b".repeat(100)));
    assertThat(text(secondReader.poll())).isEqualTo("b".repeat(100));
    long before = map.bufferedBytes();
    map.onChunk(chunk(second, 1, 1, "c".repeat(300))); // its array grows past the 2,000 bytes

    assertThat(text(secondReader.poll()))
        .isEqualTo("<error:https://jindouyun.io/problems/unavailable>");
    assertThat(cancels).containsExactly("s2/" + second.number() + "/bounds");
    assertThat(map.bufferedBytes())
        .as("the second answer's text is dropped at once")
        .isEqualTo(held("a".repeat(400)) + Generation.OVERHEAD_BYTES)
        .isLessThan(before);
    assertThat(text(firstReader.poll()))
        .as("the other answer is whole")
        .isEqualTo("a".repeat(400) + "<done:stop>");
  }

  @Test
  void closeAllEndsEveryStreamForShutdown() {
    Generation running = map.open("u1", "s1").generation();
    Cursor reader = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(running, 1, 0, "part"));
    Generation finished = map.open("u2", "s2").generation();
    map.onChunk(last(finished, 1, 0, "all"));
    assertThat(map.closeAll()).isEqualTo(2);
    assertThat(text(reader.poll())).isEqualTo("<error:https://jindouyun.io/problems/unavailable>");
    assertThat(cancels).containsExactly("s1/" + running.number() + "/shutdown");
    assertThat(map.activeStreams()).isZero();
    assertThat(map.bufferedBytes()).isZero();
  }

  @Test
  void rollbackLeavesNoGeneration() {
    Generation g = map.open("u1", "s1").generation();
    map.rollback(g, "kafka down");
    assertThat(map.find("u1", "s1")).isNull();
    assertThat(map.activeStreams()).isZero();
    assertThat(map.open("u1", "s2").reusedSlot()).isTrue();
  }

  @Test
  void aFullTimerRefusesTheHandshakeWithoutLeaking() {
    StreamMap small =
        new StreamMap(
            limits,
            GenerationClock.system(),
            (d, t) -> {
              throw new java.util.concurrent.RejectedExecutionException("full");
            },
            (s, g, r) -> {},
            StreamMapListener.NONE,
            System::nanoTime,
            System::currentTimeMillis);
    assertThatThrownBy(() -> small.open("u1", "s1")).isInstanceOf(ProblemException.class);
    assertThat(small.activeStreams()).isZero();
  }

  @Test
  void concurrentHandshakesOfOneUserLeaveExactlyTheNewestCurrent() throws Exception {
    StreamMap shared =
        new StreamMap(
            limits,
            GenerationClock.system(),
            (d, t) -> {},
            (s, g, r) -> {},
            StreamMapListener.NONE,
            System::nanoTime,
            System::currentTimeMillis);
    List<Thread> threads = new ArrayList<>();
    List<Long> won = new CopyOnWriteArrayList<>();
    for (int t = 0; t < 4; t++) {
      int id = t;
      threads.add(
          new Thread(
              () -> {
                for (int i = 0; i < 500; i++) {
                  try {
                    won.add(shared.open("u1", "s" + id + "-" + i).generation().number());
                  } catch (ProblemException e) {
                    assertThat(e.kind()).isEqualTo(ProblemKind.SUPERSEDED);
                  }
                }
              }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(10_000);
    }
    assertThat(shared.activeStreams()).isEqualTo(1);
    long max = won.stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(shared.users()).isEqualTo(1);
    assertThat(won.stream().filter(n -> n == max).count()).isEqualTo(1);
  }

  @Test
  void aStreamStillOpenAtItsMaximumLifetimeEndsWithAnErrorAndReleasesItsBuffer() {
    Generation g = map.open("u1", "s1").generation();
    Cursor c = map.attach("u1", "s1", null, () -> {});
    map.onChunk(chunk(g, 1, 0, "never finished"));
    assertThat(text(c.poll())).isEqualTo("never finished");
    timer.advance(100 * SECOND - 1);
    assertThat(c.poll()).isEmpty();
    timer.advance(1);
    assertThat(text(c.poll())).isEqualTo("<error:https://jindouyun.io/problems/stream-expired>");
    assertThat(c.finished()).isTrue();
    assertThat(cancels).containsExactly("s1/1000/expired-lifetime");
    assertThat(events).contains("expired-lifetime");
    assertThat(map.bufferedBytes()).isZero();
    assertThat(map.activeStreams()).isZero();
  }

  @Test
  void theLifetimeDeadlineIsCancelledWhenTheStreamIsReleased() {
    map.open("u1", "s1");
    assertThat(timer.pending()).isEqualTo(2);
    map.cancel("u1", "s1");
    assertThat(timer.pending()).as("the claim deadline lapses later; warm is armed").isEqualTo(2);
  }

  @Test
  void aFullTimerNeverTurnsAFinishedAnswerIntoAnError() {
    ManualDeadlines room = new ManualDeadlines(2); // just room for a handshake's two deadlines
    StreamMap tight = newMap(room);
    Generation g = tight.open("u1", "s1").generation();
    Cursor c = tight.attach("u1", "s1", null, () -> {});
    tight.onChunk(chunk(g, 1, 0, "a fin"));
    tight.onChunk(chunk(g, 1, 2, "answer"));
    tight.onChunk(chunk(g, 1, 1, "ished ")); // the gap deadline was refused: nothing failed
    tight.onChunk(last(g, 1, 3, "!")); // and so was the ack deadline
    assertThat(text(c.poll())).isEqualTo("a finished answer!<done:stop>");
    c.close();
    room.advance(5 * SECOND);
    assertThat(tight.bufferedBytes())
        .as("kept for its ack")
        .isEqualTo(held("a fin", "ished ", "answer", "!"));
    Cursor again = tight.attach("u1", "s1", null, () -> {});
    assertThat(text(again.poll())).isEqualTo("a finished answer!<done:stop>");
    again.close();
    tight.ack("u1", "s1");
    assertThat(tight.bufferedBytes()).isZero();
    assertThat(cancels).isEmpty();
  }

  @Test
  void aFinishedAnswerWhoseAckDeadlineWasRefusedIsReleasedByItsLifetimeAfterTheAckTime() {
    ManualDeadlines room = new ManualDeadlines(2);
    StreamMap tight = newMap(room);
    Generation g = tight.open("u1", "s1").generation();
    tight.attach("u1", "s1", null, () -> {}).close();
    tight.onChunk(last(g, 1, 0, "done"));
    room.advance(100 * SECOND);
    assertThat(tight.bufferedBytes()).as("finished at 0 s, ack time 20 s").isZero();
    assertThat(tight.activeStreams()).isZero();
    assertThat(cancels).isEmpty();
  }

  @Test
  void aPreparedGenerationSupersedesNothingUntilItIsCommitted() {
    Generation running = map.open("u1", "s1").generation();
    Cursor reader = map.attach("u1", "s1", null, () -> {});
    Generation next = map.prepare("u1", "s2");
    map.onChunk(chunk(running, 1, 0, "still "));
    assertThat(text(reader.poll())).isEqualTo("still ");
    map.commit(next);
    assertThat(text(reader.poll())).isEqualTo("<superseded>");
    assertThat(cancels).containsExactly("s1/1000/superseded");
  }

  @Test
  void aRolledBackPreparedGenerationLeavesTheRunningStreamStreaming() {
    Generation running = map.open("u1", "s1").generation();
    Cursor reader = map.attach("u1", "s1", null, () -> {});
    Generation failed = map.prepare("u1", "s2");
    map.rollback(failed, "unavailable");
    map.onChunk(chunk(running, 1, 0, "on "));
    map.onChunk(last(running, 1, 1, "to the end"));
    assertThat(text(reader.poll())).isEqualTo("on to the end<done:stop>");
    assertThat(cancels).containsExactly("s2/1001/unavailable");
    assertThat(map.find("u1", "s2")).isNull();
    assertThat(map.activeStreams()).isEqualTo(1);
  }

  @Test
  void anOlderPreparedGenerationLosesToANewerCommittedOne() {
    Generation older = map.prepare("u1", "s1");
    Generation newer = map.prepare("u1", "s2");
    map.commit(newer);
    assertThatThrownBy(() -> map.commit(older))
        .isInstanceOfSatisfying(
            ProblemException.class, e -> assertThat(e.kind()).isEqualTo(ProblemKind.SUPERSEDED));
    map.rollback(older, "superseded");
    assertThat(map.activeStreams()).isEqualTo(1);
    assertThat(map.find("u1", "s2")).isSameAs(newer);
  }

  @Test
  void generationNumbersStrictlyIncrease() {
    GenerationClock clock = new GenerationClock(() -> 7L);
    assertThat(clock.next()).isEqualTo(7L);
    assertThat(clock.next()).isEqualTo(8L);
    assertThat(GenerationClock.system().next()).isPositive();
  }
}
