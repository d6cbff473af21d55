package io.jindouyun.gateway.problem;

import java.time.Duration;

/**
 * Ends a request with a problem of a known kind. Free of web types so that pure logic can throw it;
 * the web layer turns it into an {@code application/problem+json} answer.
 */
public final class ProblemException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient ProblemKind kind;
  private final transient Duration retryAfter;

  /** A problem of {@code kind} with a detail for this occurrence. */
  public ProblemException(ProblemKind kind, String detail) {
    this(kind, detail, null, null);
  }

  /** A problem with a {@code Retry-After} hint and an optional cause. */
  public ProblemException(ProblemKind kind, String detail, Duration retryAfter, Throwable cause) {
    super(detail, cause, false, false);
    this.kind = kind;
    this.retryAfter = retryAfter;
  }

  /** The kind, which fixes the type URI and the status. */
  public ProblemKind kind() {
    return kind;
  }

  /** How long the client should wait before retrying, or null. */
  public Duration retryAfter() {
    return retryAfter;
  }
}
