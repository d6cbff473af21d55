package io.jindouyun.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Streams of a gone gateway rebuilt from its reply partition ({@link StreamMap#onAdoptedChunk}).
 */
class StreamMapTakeoverTests {

  private static final long NOW_MS = 1_000_000L;
  private static final long GEN = (NOW_MS - 3_000) * 1000; // a handshake 3 s ago, in micros

  private final ManualDeadlines timer = new ManualDeadlines(1000);
  private final List<String> cancels = new CopyOnWriteArrayList<>();
  private final StreamMap map =
      new StreamMap(
          TestLimits.small(),
          new GenerationClock(() -> NOW_MS * 1000),
          timer,
          (sid, gen, reason) -> cancels.add(sid + "/" + gen + "/" + reason),
          StreamMapListener.NONE,
          () -> timer.now,
          () -> NOW_MS);

  private static IncomingChunk chunk(long seq, String delta, long atMs) {
    return new IncomingChunk("gw-1~s1", GEN, 1, seq, delta, "", null, null, atMs);
  }

  private static IncomingChunk last(long seq, String delta, long atMs) {
    return new IncomingChunk(
        "gw-1~s1", GEN, 1, seq, delta, "stop", new TokenUsage(1, 2, 3), null, atMs);
  }

  private static String text(List<StreamEvent> evs) {
    return evs.stream()
        .map(
            e ->
                e instanceof StreamEvent.Chunk c
                    ? c.delta()
                    : e instanceof StreamEvent.Done d
                        ? "<done:" + d.finishReason() + ">"
                        : "<" + e.getClass().getSimpleName() + ">")
        .collect(Collectors.joining());
  }

  @Test
  void aStreamIsRebuiltFromItsFirstChunkAndResumesExactlyAfterTheLastEventId() {
    assertThat(map.onAdoptedChunk("u1", chunk(0, "Hel", NOW_MS - 2_000), NOW_MS)).isNotNull();
    map.onAdoptedChunk("", chunk(1, "lo ", NOW_MS - 1_900), NOW_MS);
    map.onAdoptedChunk("", chunk(2, "wor", NOW_MS - 1_800), NOW_MS);

    Cursor c = map.attach("u1", "gw-1~s1", GEN + ".1", () -> {});
    assertThat(c.resume()).isEqualTo(Cursor.Resume.EXACT);
    map.onAdoptedChunk("", last(3, "ld", NOW_MS), NOW_MS);
    List<StreamEvent> evs = c.poll();
    assertThat(text(evs)).isEqualTo("world<done:stop>");
    assertThat(((StreamEvent.Chunk) evs.get(0)).id()).isEqualTo(GEN + ".2");
  }

  @Test
  void theRebuiltStreamBelongsToItsOwnerOnly() {
    map.onAdoptedChunk("u1", chunk(0, "a", NOW_MS), NOW_MS);
    assertThatThrownBy(() -> map.attach("u2", "gw-1~s1", null, () -> {}))
        .isInstanceOf(ProblemException.class)
        .extracting(e -> ((ProblemException) e).kind())
        .isEqualTo(ProblemKind.STREAM_NOT_FOUND);
  }

  @Test
  void aStreamFirstSeenMidwayIsNotRebuilt() {
    assertThat(map.onAdoptedChunk("", chunk(4, "x", NOW_MS), NOW_MS)).isNull();
    assertThat(map.activeStreams()).isZero();
  }

  @Test
  void aStreamOlderThanTheMaximumLifetimeIsNotRebuilt() {
    IncomingChunk old =
        new IncomingChunk("gw-1~s2", (NOW_MS - 200_000) * 1000, 1, 0, "a", "", null, null, 1);
    assertThat(map.onAdoptedChunk("u1", old, NOW_MS)).isNull();
    assertThat(map.activeStreams()).isZero();
  }

  @Test
  void aStreamThatEndedLongerThanTheAckTimeoutAgoIsReleasedAtOnce() {
    map.onAdoptedChunk("u1", chunk(0, "a", NOW_MS - 60_000), NOW_MS);
    map.onAdoptedChunk("", last(1, "b", NOW_MS - 59_000), NOW_MS);
    assertThat(map.activeStreams()).isZero();
    assertThat(map.bufferedBytes()).isZero();
  }

  @Test
  void aRecentlyEndedStreamIsKeptForItsReader() {
    map.onAdoptedChunk("u1", chunk(0, "a", NOW_MS - 2_000), NOW_MS);
    map.onAdoptedChunk("", last(1, "b", NOW_MS - 1_000), NOW_MS);
    Cursor c = map.attach("u1", "gw-1~s1", GEN + ".0", () -> {});
    assertThat(text(c.poll())).isEqualTo("b<done:stop>");
    assertThat(cancels).isEmpty();
  }

  @Test
  void aSupersededChunkEndsTheRebuiltStream() {
    Generation gen = map.onAdoptedChunk("u1", chunk(0, "a", NOW_MS), NOW_MS);
    Cursor c = map.attach("u1", "gw-1~s1", null, () -> {});
    map.onAdoptedChunk(
        "",
        new IncomingChunk(
            "gw-1~s1",
            GEN,
            1,
            1,
            "",
            "",
            null,
            StreamProblem.of(ProblemKind.SUPERSEDED, "a newer chat"),
            NOW_MS),
        NOW_MS);
    assertThat(text(c.poll())).isEqualTo("<Superseded>");
    assertThat(map.holds(gen)).isFalse();
    assertThat(cancels).isEmpty();
  }

  @Test
  void theRebuiltStreamDoesNotTouchTheUsersCurrentStreamHere() {
    Generation mine = map.open("u1", "gw-2~mine").generation();
    map.onAdoptedChunk("u1", chunk(0, "a", NOW_MS), NOW_MS);
    assertThat(map.find("u1", "gw-2~mine")).isSameAs(mine);
    assertThat(map.find("u1", "gw-1~s1")).isNotNull();
  }
}
