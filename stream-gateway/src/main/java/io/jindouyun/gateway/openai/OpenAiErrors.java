package io.jindouyun.gateway.openai;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.stream.StreamProblem;
import java.time.Duration;

/** Turns the gateway's problems (RFC 9457 kinds and statuses) into OpenAI's error objects. */
final class OpenAiErrors {

  private OpenAiErrors() {}

  /** The error for a failed handshake stage. */
  static OpenAiError of(ProblemException e) {
    return of(e.kind().status(), e.kind().type(), e.getMessage(), e.retryAfter());
  }

  /** The error for a stream that failed after it was accepted. */
  static OpenAiError of(StreamProblem p) {
    return of(p.status(), p.type(), p.detail(), null);
  }

  /** A 503 with {@code Retry-After}. */
  static OpenAiError unavailable(String message, Duration retryAfter) {
    return new OpenAiError(503, "server_error", null, "service_unavailable", message, retryAfter);
  }

  /** A 429 with {@code Retry-After}. */
  static OpenAiError rateLimited(String message, Duration retryAfter) {
    return new OpenAiError(
        429, "rate_limit_error", null, "rate_limit_exceeded", message, retryAfter);
  }

  private static OpenAiError of(int status, String problemType, String message, Duration retry) {
    String code = problemType.substring(problemType.lastIndexOf('/') + 1).replace('-', '_');
    return switch (status) {
      case 400, 404, 409, 413 ->
          new OpenAiError(status, "invalid_request_error", null, code, message, null);
      case 401 ->
          new OpenAiError(401, "invalid_request_error", null, "invalid_api_key", message, null);
      case 429 -> rateLimited(message, retry == null ? Duration.ofSeconds(1) : retry);
      case 503 -> unavailable(message, retry == null ? Duration.ofSeconds(1) : retry);
      default -> new OpenAiError(status, "server_error", null, code, message, retry);
    };
  }
}
