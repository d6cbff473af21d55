package io.jindouyun.consumer.llm;

import java.util.Objects;

/** What an {@link LlmClient} stream emits. */
public sealed interface LlmEvent {

  /** A piece of the answer's text, never empty. */
  record Delta(String text) implements LlmEvent {

    public Delta {
      if (text == null || text.isEmpty()) {
        throw new IllegalArgumentException("a delta carries text");
      }
    }
  }

  /**
   * The end of the answer.
   *
   * @param reason the finish reason ("stop", "length", ...), never empty
   * @param usage token usage, or null when the LLM reported none
   */
  record Finish(String reason, TokenUsage usage) implements LlmEvent {

    public Finish {
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** Token usage as reported by the LLM. */
  record TokenUsage(int promptTokens, int completionTokens, int totalTokens) {}
}
