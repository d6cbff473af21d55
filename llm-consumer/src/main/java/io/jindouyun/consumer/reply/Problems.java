package io.jindouyun.consumer.reply;

import io.jindouyun.proto.chat.v1.ChatError;

/**
 * The RFC 9457 problems the consumer puts in an {@code error} chunk, one stable {@code type} URI
 * per kind ({@code https://jindouyun.io/problems/<kind>}).
 */
public enum Problems {
  /** The LLM refused the request (4xx other than 429): not retried. */
  LLM_REJECTED("llm-rejected", "The LLM rejected the request", 502),
  /** The LLM stayed unavailable through every retry (429, 5xx, connection errors). */
  LLM_UNAVAILABLE("llm-unavailable", "The LLM is unavailable", 503),
  /** The LLM's stream failed after tokens were sent. */
  LLM_STREAM_FAILED("llm-stream-failed", "The LLM stream failed", 502),
  /** The job's deadline (or the maximum job duration) passed before the answer was finished. */
  JOB_EXPIRED("job-expired", "The chat job expired", 504),
  /** A newer chat of the same user replaced this one (its gateway sends {@code superseded}). */
  SUPERSEDED("superseded", "Superseded by a newer generation", 409),
  /** The user started more chats than the fleet-wide rate allows. */
  RATE_LIMITED("rate-limited", "Too many requests", 429),
  /** The job could not be used (missing fields, bad messages). */
  INVALID_JOB("invalid-job", "The chat job is invalid", 400),
  /** The consumer failed unexpectedly. */
  INTERNAL("internal", "Internal error", 500);

  /** Prefix of every problem type. */
  public static final String TYPE_PREFIX = "https://jindouyun.io/problems/";

  private final String kind;
  private final String title;
  private final int status;

  Problems(String kind, String title, int status) {
    this.kind = kind;
    this.title = title;
    this.status = status;
  }

  /** The stable type URI. */
  public String type() {
    return TYPE_PREFIX + kind;
  }

  /** This problem with {@code detail}. */
  public ChatError toError(String detail) {
    return ChatError.newBuilder()
        .setType(type())
        .setTitle(title)
        .setStatus(status)
        .setDetail(detail == null ? "" : detail)
        .build();
  }
}
