package io.jindouyun.bench;

/**
 * Token lag of one answer: for every token, its arrival at the client minus when the development
 * LLM emitted it. The LLM emits token k {@code k × delay} after the first, and the first token is
 * never coalesced, so the schedule is anchored at the first token's arrival: the first token's lag
 * is 0 and every later token shows what coalescing and queues added on its way. A chunk carries the
 * tokens whose ends its reader's accumulated text has reached ({@code ends}: cumulative text length
 * after each token of the answer, read once from the LLM).
 *
 * <p>Not thread-safe: one per stream, fed by its reader.
 */
final class TokenClock {

  private final int[] ends;
  private final long delayNanos;
  private long firstNanos = -1;
  private int seen;

  /** A clock for an answer whose tokens end at {@code ends} (null: not measured). */
  TokenClock(int[] ends, int delayMs) {
    this.ends = ends;
    this.delayNanos = delayMs * 1_000_000L;
  }

  /** The reader's text is {@code textLength} long at {@code nowNanos}: records the new tokens. */
  void arrived(int textLength, long nowNanos, LatencyStats lag) {
    if (ends == null) {
      return;
    }
    if (firstNanos < 0) {
      firstNanos = nowNanos;
    }
    while (seen < ends.length && ends[seen] <= textLength) {
      lag.recordNanos(Math.max(0, nowNanos - firstNanos - seen * delayNanos));
      seen++;
    }
  }

  /**
   * The answer starts again ({@code reset}): its tokens are counted again, on the same schedule.
   */
  void reset() {
    seen = 0;
  }
}
