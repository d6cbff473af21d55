package io.jindouyun.consumer.llm;

/** The LLM's stream failed after it had started: an error event, or an early end. */
public final class LlmStreamException extends RuntimeException {

  public LlmStreamException(String message) {
    super(message);
  }
}
