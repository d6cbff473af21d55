package io.jindouyun.consumer.llm;

/** The LLM sent something that is not the chat-completions protocol. Not retried. */
public final class LlmProtocolException extends RuntimeException {

  public LlmProtocolException(String message, Throwable cause) {
    super(message, cause);
  }
}
