package io.jindouyun.gateway.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.problem.ProblemKind;
import org.junit.jupiter.api.Test;

class ApplyResultTests {

  private final ByteBudget budget = new ByteBudget(10_000);
  private final Generation gen = new Generation("u1", "s1", 7, 0, 0, budget, TestLimits.small());

  private ApplyResult apply(int attempt, long seq, String delta) {
    return gen.apply(new IncomingChunk("s1", 7, attempt, seq, delta, "", null, null, 0), 0);
  }

  private ApplyResult applyLast(int attempt, long seq, String delta) {
    return gen.apply(
        new IncomingChunk("s1", 7, attempt, seq, delta, "stop", new TokenUsage(1, 2, 3), null, 0),
        0);
  }

  @Test
  void aChunkInOrderIsAppliedAndWakesTheReaders() {
    ApplyResult result = apply(1, 0, "a");
    assertThat(result).isEqualTo(new ApplyResult(true, false, false, false, false, null));
    assertThat(result.wakesReaders()).isTrue();
  }

  @Test
  void aChunkAheadOfAMissingOneIsHeldAndAsksForTheGapDeadline() {
    ApplyResult held = apply(1, 1, "b");
    assertThat(held).isEqualTo(new ApplyResult(false, false, false, false, true, null));
    assertThat(held.wakesReaders()).isFalse();
    ApplyResult stillMissing = apply(1, 3, "d");
    assertThat(stillMissing.awaitingGap()).isTrue();
    ApplyResult filled = apply(1, 0, "a");
    assertThat(filled.applied()).isTrue();
    assertThat(filled.awaitingGap()).as("seq 2 is still missing").isTrue();
    assertThat(apply(1, 2, "c")).isEqualTo(new ApplyResult(true, false, false, false, false, null));
  }

  @Test
  void duplicatesZombiesAndChunksAfterTheEndAreDroppedWithTheirReason() {
    apply(5, 0, "a");
    assertThat(apply(5, 0, "a").dropped()).isEqualTo(ApplyResult.Drop.DUPLICATE);
    apply(5, 2, "c");
    assertThat(apply(5, 2, "c").dropped()).isEqualTo(ApplyResult.Drop.DUPLICATE);
    assertThat(apply(4, 1, "b")).isEqualTo(ApplyResult.ZOMBIE);
    gen.fail(ProblemKind.STREAM_GAP, "test", 0);
    assertThat(apply(5, 1, "b"))
        .isEqualTo(new ApplyResult(false, false, false, false, false, ApplyResult.Drop.STALE));
  }

  @Test
  void aHigherAttemptResets() {
    apply(1, 0, "a");
    assertThat(apply(2, 0, "A")).isEqualTo(new ApplyResult(true, true, false, false, false, null));
    assertThat(apply(3, 1, "x"))
        .as("a reset that leaves the chunk held")
        .isEqualTo(new ApplyResult(false, true, false, false, true, null));
  }

  @Test
  void theLastChunkFinishesAndAnErrorChunkFinishesWithoutText() {
    assertThat(applyLast(1, 0, "all"))
        .isEqualTo(new ApplyResult(true, false, true, false, false, null));
    Generation failing = new Generation("u1", "s2", 8, 0, 0, budget, TestLimits.small());
    ApplyResult error =
        failing.apply(
            new IncomingChunk(
                "s2",
                8,
                1,
                0,
                "",
                "",
                null,
                StreamProblem.of(ProblemKind.UNAVAILABLE, "llm down"),
                0),
            0);
    assertThat(error).isEqualTo(new ApplyResult(false, false, true, false, false, null));
  }

  @Test
  void goingOverABoundFinishesWithOverflow() {
    assertThat(apply(1, 0, "x".repeat(1001)))
        .isEqualTo(new ApplyResult(false, false, true, true, false, null));
    Generation gapped = new Generation("u1", "s2", 8, 0, 0, budget, TestLimits.small());
    for (int seq = 1; seq <= 4; seq++) {
      gapped.apply(new IncomingChunk("s2", 8, 1, seq, "x", "", null, null, 0), 0);
    }
    assertThat(gapped.apply(new IncomingChunk("s2", 8, 1, 5, "x", "", null, null, 0), 0))
        .isEqualTo(new ApplyResult(false, false, true, true, false, null));
  }

  @Test
  void heldChunksReleasedByTheMissingOneCanFinishTheStream() {
    applyLast(1, 1, "b");
    assertThat(apply(1, 0, "a")).isEqualTo(new ApplyResult(true, false, true, false, false, null));
  }

  @Test
  void dropReasonsAreTheMetricTagValues() {
    assertThat(ApplyResult.Drop.values())
        .extracting(ApplyResult.Drop::reason)
        .containsExactly("stale", "duplicate", "zombie");
  }
}
