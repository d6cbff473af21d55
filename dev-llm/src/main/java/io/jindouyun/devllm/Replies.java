package io.jindouyun.devllm;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/** Plain JSON replies, OpenAI errors and the bearer check. Thread-safe. */
final class Replies {

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
