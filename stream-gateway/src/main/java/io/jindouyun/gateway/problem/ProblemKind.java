package io.jindouyun.gateway.problem;

/**
 * The stable kinds of error this gateway answers with. Each kind has a fixed {@code type} URI
 * ({@code https://jindouyun.io/problems/<slug>}) and HTTP status; clients may switch on the URI.
 */
public enum ProblemKind {
  UNAUTHORIZED("unauthorized", 401, "Unauthorized"),
  VALIDATION("validation", 400, "Invalid request"),
  PAYLOAD_TOO_LARGE("payload-too-large", 413, "Payload too large"),
  RATE_LIMITED("rate-limited", 429, "Too many requests"),
  TOO_MANY_READERS("too-many-readers", 429, "Too many readers for this stream"),
  STREAM_NOT_FOUND("stream-not-found", 404, "Stream not found"),
  STREAM_NOT_FINISHED("stream-not-finished", 409, "Stream not finished"),
  CONVERSATION_NOT_FOUND("conversation-not-found", 404, "Conversation not found"),
  CONVERSATION_FULL("conversation-full", 409, "Conversation full"),
  SUPERSEDED("superseded", 409, "Superseded by a newer generation"),
  UNAVAILABLE("unavailable", 503, "Service unavailable"),
  STREAM_TOO_LARGE("stream-too-large", 507, "Stream exceeded its byte bound"),
  STREAM_GAP("stream-gap", 504, "A chunk of the stream never arrived"),
  STREAM_EXPIRED("stream-expired", 504, "Stream outlived its maximum lifetime"),
  UPSTREAM("upstream", 502, "The answer failed upstream"),
  INTERNAL("internal", 500, "Internal error");

  /** Common prefix of every problem type URI. */
  public static final String TYPE_PREFIX = "https://jindouyun.io/problems/";

  private final String slug;
  private final int status;
  private final String title;

  ProblemKind(String slug, int status, String title) {
    this.slug = slug;
    this.status = status;
    this.title = title;
  }

  /** The stable {@code type} URI of this kind. */
  public String type() {
    return TYPE_PREFIX + slug;
  }

  /** The HTTP status answered with this kind. */
  public int status() {
    return status;
  }

  /** A short human-readable summary, the same for every occurrence. */
  public String title() {
    return title;
  }
}
