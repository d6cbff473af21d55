package io.jindouyun.gateway.stream;

/** What a reader of a stream receives, in order. Built on demand from the buffer, never stored. */
public sealed interface StreamEvent {

  /** Whether the stream ends with this event. */
  default boolean terminal() {
    return false;
  }

  /** A piece of the answer; its id is {@code <generation>.<seq>}. */
  record Chunk(long generation, long seq, String delta, long timestampMs, boolean live)
      implements StreamEvent {

    /** The SSE id of this chunk. */
    public String id() {
      return generation + "." + seq;
    }
  }

  /** The upstream call was restarted: drop what you have of this generation. */
  record Reset(long generation) implements StreamEvent {}

  /** The answer is complete. */
  record Done(String finishReason, TokenUsage usage) implements StreamEvent {
    @Override
    public boolean terminal() {
      return true;
    }
  }

  /** The stream failed after it had started. */
  record Failed(StreamProblem problem) implements StreamEvent {
    @Override
    public boolean terminal() {
      return true;
    }
  }

  /** A newer generation of the same user replaced this one. */
  record Superseded(long generation) implements StreamEvent {
    @Override
    public boolean terminal() {
      return true;
    }
  }
}
