package io.jindouyun.devllm;

import java.time.Duration;

/**
 * An error reply in the OpenAI shape {@code {"error":{"message","type","param","code"}}}, one
 * stable {@code code} per kind.
 *
 * @param status HTTP status
 * @param type OpenAI error type ({@code invalid_request_error}, {@code server_error}, ...)
 * @param code OpenAI error code, stable per kind
 * @param message human-readable message
 * @param param offending request field, or null
 * @param retryAfter {@code Retry-After} to send, or null
 */
record Rejection(
    int status, String type, String code, String message, String param, Duration retryAfter)
    implements Plan {

  private static final String INVALID = "invalid_request_error";

  static Rejection badRequest(BadRequestException e) {
    return new Rejection(400, INVALID, "invalid_request", e.getMessage(), e.param(), null);
  }

  static Rejection unauthorized() {
    return new Rejection(
        401,
        INVALID,
        "invalid_api_key",
        "Incorrect API key provided. Send 'Authorization: Bearer <key>'.",
        null,
        null);
  }

  static Rejection notFound(String method, String path) {
    return new Rejection(
        404,
        INVALID,
        "unknown_url",
        "Unknown request URL: " + method + " /" + path + ".",
        null,
        null);
  }

  static Rejection tooLarge(int maxBodyBytes) {
    return new Rejection(
        413,
        INVALID,
        "request_too_large",
        "The request body exceeds " + maxBodyBytes + " bytes.",
        null,
        null);
  }

  static Rejection overloaded(int maxConcurrentRequests, Duration retryAfter) {
    return new Rejection(
        503,
        "server_error",
        "overloaded",
        "More than " + maxConcurrentRequests + " requests in flight.",
        null,
        retryAfter);
  }

  /** The reply of a failure injected before streaming, or null for the other modes. */
  static Rejection injected(FailMode fail, Duration retryAfter) {
    return switch (fail) {
      case RATE_LIMITED ->
          new Rejection(
              429,
              "rate_limit_error",
              "rate_limit_exceeded",
              "Rate limit reached (injected by the development LLM).",
              null,
              retryAfter);
      case SERVER_ERROR ->
          new Rejection(
              500,
              "server_error",
              "internal_error",
              "The server had an error (injected by the development LLM).",
              null,
              null);
      case BAD_REQUEST ->
          new Rejection(
              400,
              INVALID,
              "injected_bad_request",
              "Bad request (injected by the development LLM).",
              null,
              null);
      default -> null;
    };
  }
}
