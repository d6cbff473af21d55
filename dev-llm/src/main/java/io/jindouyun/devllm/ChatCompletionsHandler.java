package io.jindouyun.devllm;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code POST /v1/chat/completions}: checks the key and the in-flight bound, reads the body up to
 * {@link DevLlmSettings#maxBodyBytes()}, plans the answer and hands it to the SSE or JSON writer. A
 * client that leaves at any point after the request arrived (while the body is read, before the
 * first token, mid-stream) cancels the handler's publisher and is counted once in {@link
 * Counters#closedEarly()}. Thread-safe: per-request state lives in the request's publisher chain.
 */
final class ChatCompletionsHandler {

  private final DevLlmSettings settings;
  private final AnswerPlanner planner;
  private final Replies replies;
  private final SseAnswerWriter sse;
  private final JsonAnswerWriter jsonWriter;
  private final Counters counters;

  ChatCompletionsHandler(
      DevLlmSettings settings,
      AnswerPlanner planner,
      Replies replies,
      SseAnswerWriter sse,
      JsonAnswerWriter jsonWriter,
      Counters counters) {
    this.settings = settings;
    this.planner = planner;
    this.replies = replies;
    this.sse = sse;
    this.jsonWriter = jsonWriter;
    this.counters = counters;
  }

  Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
    counters.requestReceived();
    if (!replies.authorized(request)) {
      return replies.reject(response, Rejection.unauthorized());
    }
    if (!counters.tryActivate(settings.maxConcurrentRequests())) {
      return replies.reject(
          response, Rejection.overloaded(settings.maxConcurrentRequests(), settings.retryAfter()));
    }
    AnswerState state = new AnswerState(counters::clientClosedEarly);
    return body(request)
        .map(body -> planner.plan(body, name -> request.requestHeaders().get(name)))
        .onErrorResume(
            BodyTooLargeException.class,
            e -> Mono.just(Rejection.tooLarge(settings.maxBodyBytes())))
        .flatMap(plan -> respond(response, plan, state))
        .doOnCancel(state::cancelled)
        .doFinally(signal -> counters.deactivate());
  }

  private Mono<Void> respond(HttpServerResponse response, Plan plan, AnswerState state) {
    if (plan instanceof Rejection rejection) {
      state.finished();
      return replies.reject(response, rejection);
    }
    Answer answer = (Answer) plan;
    if (answer.fail() != FailMode.NONE) {
      response.keepAlive(false);
    }
    return answer.request().stream()
        ? sse.write(response, answer, state)
        : jsonWriter.write(response, answer, state);
  }

  private Mono<String> body(HttpServerRequest request) {
    int max = settings.maxBodyBytes();
    if (declaredLength(request) > max) {
      return Mono.error(new BodyTooLargeException());
    }
    return request
        .receive()
        .asByteArray()
        .reduceWith(
            ByteArrayOutputStream::new,
            (out, bytes) -> {
              if (out.size() + (long) bytes.length > max) {
                throw new BodyTooLargeException();
              }
              out.writeBytes(bytes);
              return out;
            })
        .map(out -> out.toString(StandardCharsets.UTF_8))
        .defaultIfEmpty("");
  }

  private static long declaredLength(HttpServerRequest request) {
    String declared = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
    try {
      return declared == null ? -1 : Long.parseLong(declared.trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** The body grew beyond {@link DevLlmSettings#maxBodyBytes()}. */
  static final class BodyTooLargeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BodyTooLargeException() {
      super("body too large", null, false, false);
    }
  }
}
