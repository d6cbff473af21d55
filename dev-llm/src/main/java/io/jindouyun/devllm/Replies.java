package io.jindouyun.devllm;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** Plain JSON replies, OpenAI errors and the bearer check. Thread-safe. */
final class Replies {

  /**
   * An error reply in the OpenAI shape.
   *
   * @param status HTTP status
   * @param type OpenAI error type ({@code invalid_request_error}, {@code server_error}, ...)
   * @param code OpenAI error code, stable per kind
   * @param message human-readable message
   * @param param offending request field, or null
   * @param retryAfter {@code Retry-After} to send, or null
   */
  record Rejection(
      int status, String type, String code, String message, String param, Duration retryAfter) {

    static Rejection badRequest(BadRequestException e) {
      return new Rejection(
          400, "invalid_request_error", "invalid_request", e.getMessage(), e.param(), null);
    }
  }

  private final OpenAiJson json;
  private final byte[] expectedAuthorization;

  Replies(OpenAiJson json, String apiKey) {
    this.json = json;
    this.expectedAuthorization =
        apiKey == null ? null : ("Bearer " + apiKey).getBytes(StandardCharsets.UTF_8);
  }

  /** True when no key is configured or the request carries {@code Authorization: Bearer <key>}. */
  boolean authorized(HttpServerRequest request) {
    if (expectedAuthorization == null) {
      return true;
    }
    String given = request.requestHeaders().get(HttpHeaderNames.AUTHORIZATION);
    return given != null
        && MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8));
  }

  Rejection unauthorized() {
    return new Rejection(
        401,
        "invalid_request_error",
        "invalid_api_key",
        "Incorrect API key provided. Send 'Authorization: Bearer <key>'.",
        null,
        null);
  }

  Mono<Void> json(HttpServerResponse response, int status, String body) {
    return response
        .status(status)
        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .sendString(Mono.just(body))
        .then();
  }

  Mono<Void> reject(HttpServerResponse response, Rejection rejection) {
    if (rejection.retryAfter() != null) {
      response.header(
          HttpHeaderNames.RETRY_AFTER, Long.toString(rejection.retryAfter().toSeconds()));
    }
    return json(
        response,
        rejection.status(),
        json.error(rejection.message(), rejection.type(), rejection.param(), rejection.code()));
  }
}
