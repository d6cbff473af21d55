package io.jindouyun.consumer.llm;

import java.time.Duration;

/** The LLM answered with a non-2xx status before streaming. */
public final class LlmHttpException extends RuntimeException {

  private final int status;
  private final Duration retryAfter;

  /**
   * @param status the HTTP status
   * @param body the start of the error body (for the message)
   * @param retryAfter the {@code Retry-After} the LLM asked for, or null
   */
  public LlmHttpException(int status, String body, Duration retryAfter) {
    super("LLM answered " + status + ": " + body);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  /** The HTTP status. */
  public int status() {
    return status;
  }

  /** The delay the LLM asked for, or null. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
