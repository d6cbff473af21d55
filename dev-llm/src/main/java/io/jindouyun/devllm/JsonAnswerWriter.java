package io.jindouyun.devllm;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Sends an {@link Answer} as one {@code chat.completion} after the time its tokens would have taken
 * ({@link Answer#duration()}, a single {@code Mono.delay}); {@code error-mid} answers 500 with an
 * OpenAI error after that time, {@code drop-mid} closes the connection without a response. A client
 * leaving during the wait cancels the delay, which {@link AnswerState} counts once. Thread-safe.
 */
final class JsonAnswerWriter {

  private final OpenAiJson json;
  private final Counters counters;

  JsonAnswerWriter(OpenAiJson json, Counters counters) {
    this.json = json;
    this.counters = counters;
  }

  Mono<Void> write(HttpServerResponse response, Answer answer, AnswerState state) {
    Mono<Long> delay = Mono.delay(answer.duration()).doOnCancel(state::cancelled);
    if (answer.fail() == FailMode.DROP_MID) {
      return delay.then(
          Mono.fromRunnable(
              () -> {
                state.serverAborted();
                response.withConnection(connection -> connection.channel().close());
              }));
    }
    boolean failed = answer.fail() == FailMode.ERROR_MID;
    Mono<String> body =
        delay.map(
            ignored -> {
              state.finished();
              counters.tokensSent(answer.sent());
              return failed
                  ? json.midStreamError()
                  : json.completion(
                      answer.head(),
                      String.join("", answer.tokens()),
                      answer.finishReason(),
                      answer.usage());
            });
    return response
        .status(failed ? 500 : 200)
        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .sendString(body)
        .then();
  }
}
