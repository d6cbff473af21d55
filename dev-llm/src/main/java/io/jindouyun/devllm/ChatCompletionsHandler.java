package io.jindouyun.devllm;

import io.jindouyun.devllm.OpenAiJson.Head;
import io.jindouyun.devllm.OpenAiJson.Usage;
import io.jindouyun.devllm.Replies.Rejection;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * {@code POST /v1/chat/completions}. Tokens are paced with {@code Mono.delay} on Reactor's shared
 * parallel scheduler (no thread per stream); when the client goes away reactor-netty cancels the
 * answer's publisher and {@link AnswerState} counts it once. Thread-safe: per-request state lives
 * in the request's own publisher chain.
 */
final class ChatCompletionsHandler {

  private static final String DONE = "data: [DONE]\n\n";

  /** How long a {@code drop-mid} answer waits for its closed connection to cancel it. */
  private static final Duration DROP_GRACE = Duration.ofSeconds(5);

  private final DevLlmSettings settings;
  private final ChatRequestParser parser;
  private final OpenAiJson json;
  private final Replies replies;
  private final FailureBudget failureBudget;
  private final Counters counters;

  ChatCompletionsHandler(
      DevLlmSettings settings,
      ChatRequestParser parser,
      OpenAiJson json,
      Replies replies,
      Counters counters) {
    this.settings = settings;
    this.parser = parser;
    this.json = json;
    this.replies = replies;
    this.failureBudget = new FailureBudget(settings.maxFailKeys());
    this.counters = counters;
  }

  /** One answer, decided before the first byte is sent. */
  private record Answer(
      ChatRequest request,
      AnswerOptions options,
      Head head,
      List<String> tokens,
      String finishReason,
      FailMode fail,
      int failAt) {

    /** Content tokens sent before the answer ends or fails. */
    int sent() {
      return fail == FailMode.NONE ? tokens.size() : failAt;
    }
  }

  Publisher<Void> handle(HttpServerRequest request, HttpServerResponse response) {
    counters.requestReceived();
    if (!replies.authorized(request)) {
      return replies.reject(response, replies.unauthorized());
    }
    if (!counters.tryActivate(settings.maxConcurrentRequests())) {
      return replies.reject(
          response,
          new Rejection(
              503,
              "server_error",
              "overloaded",
              "More than " + settings.maxConcurrentRequests() + " requests in flight.",
              null,
              settings.retryAfter()));
    }
    AnswerState state = new AnswerState(counters::clientClosedEarly);
    return body(request)
        .<Object>map(body -> prepare(request, body))
        .onErrorResume(BodyTooLargeException.class, e -> Mono.just(tooLarge()))
        .flatMap(
            prepared -> {
              if (prepared instanceof Answer answer) {
                return respond(response, answer, state);
              }
              state.finished();
              return replies.reject(response, (Rejection) prepared);
            })
        .doOnCancel(state::cancelled)
        .doFinally(signal -> counters.deactivate());
  }

  private Mono<String> body(HttpServerRequest request) {
    String declared = request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
    if (declared != null && declared.length() < 19 && Long.parseLong(declared) > max()) {
      return Mono.error(new BodyTooLargeException());
    }
    return request
        .receive()
        .asByteArray()
        .reduceWith(
            ByteArrayOutputStream::new,
            (out, bytes) -> {
              if (out.size() + (long) bytes.length > max()) {
                throw new BodyTooLargeException();
              }
              out.writeBytes(bytes);
              return out;
            })
        .map(out -> out.toString(StandardCharsets.UTF_8))
        .defaultIfEmpty("");
  }

  private int max() {
    return settings.maxBodyBytes();
  }

  private Rejection tooLarge() {
    return new Rejection(
        413,
        "invalid_request_error",
        "request_too_large",
        "The request body exceeds " + max() + " bytes.",
        null,
        null);
  }

  private Object prepare(HttpServerRequest http, String body) {
    try {
      ChatRequest request = parser.parse(body);
      AnswerOptions options =
          AnswerOptions.resolve(
              settings, name -> http.requestHeaders().get(name), request.lastUserContent());
      boolean cut = request.maxTokens() >= 0 && request.maxTokens() < options.tokens();
      int length = cut ? request.maxTokens() : options.tokens();
      FailMode fail = options.fail();
      if (fail != FailMode.NONE
          && !failureBudget.tryFail(AnswerGenerator.answerKey(request), options.failTimes())) {
        fail = FailMode.NONE;
      }
      Rejection injected = injected(fail);
      if (injected != null) {
        return injected;
      }
      int failAt = Math.min(options.failAfter() < 0 ? length / 2 : options.failAfter(), length);
      Head head =
          new Head(
              "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""),
              System.currentTimeMillis() / 1000,
              request.model());
      return new Answer(
          request,
          options,
          head,
          AnswerGenerator.tokens(request, length),
          cut ? "length" : "stop",
          fail,
          failAt);
    } catch (BadRequestException e) {
      return Rejection.badRequest(e);
    }
  }

  private Rejection injected(FailMode fail) {
    return switch (fail) {
      case RATE_LIMITED ->
          new Rejection(
              429,
              "rate_limit_error",
              "rate_limit_exceeded",
              "Rate limit reached (injected by the development LLM).",
              null,
              settings.retryAfter());
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
              "invalid_request_error",
              "injected_bad_request",
              "Bad request (injected by the development LLM).",
              null,
              null);
      default -> null;
    };
  }

  private Mono<Void> respond(HttpServerResponse response, Answer answer, AnswerState state) {
    if (answer.fail() != FailMode.NONE) {
      response.keepAlive(false);
    }
    return answer.request().stream()
        ? stream(response, answer, state)
        : complete(response, answer, state);
  }

  private Mono<Void> stream(HttpServerResponse response, Answer answer, AnswerState state) {
    Head head = answer.head();
    boolean usageField = answer.request().includeUsage();
    Flux<String> tokens =
        paced(answer.sent(), answer.options())
            .map(
                i -> {
                  counters.tokensSent(1);
                  return event(json.contentChunk(head, answer.tokens().get(i), usageField));
                });
    Flux<String> events =
        Flux.concat(
                Mono.fromSupplier(() -> event(json.roleChunk(head, usageField))),
                tokens,
                tail(response, answer, state))
            .doOnCancel(state::cancelled);
    response
        .status(200)
        .header(HttpHeaderNames.CONTENT_TYPE, "text/event-stream")
        .header(HttpHeaderNames.CACHE_CONTROL, "no-cache")
        .header("X-Accel-Buffering", "no");
    // The flush predicate runs on the event loop as each buffer is written, in order: a drop-mid
    // answer is dropped right after the write of its last token (role chunk + failAt tokens).
    int dropAfterWrites = answer.fail() == FailMode.DROP_MID ? 1 + answer.failAt() : -1;
    AtomicInteger writes = new AtomicInteger();
    return response
        .send(
            events.map(text -> Unpooled.wrappedBuffer(text.getBytes(StandardCharsets.UTF_8))),
            buffer -> {
              if (writes.incrementAndGet() == dropAfterWrites) {
                response.withConnection(connection -> drop(connection, state));
              }
              return true;
            })
        .then();
  }

  private Flux<String> tail(HttpServerResponse response, Answer answer, AnswerState state) {
    Head head = answer.head();
    return switch (answer.fail()) {
      case ERROR_MID ->
          Flux.defer(
              () -> {
                state.finished();
                return Flux.just(event(midStreamError()));
              });
      case DROP_MID ->
          // The send's flush predicate drops the connection (see stream). Completing would let
          // reactor-netty end the chunked body cleanly and an error logs at ERROR: wait for the
          // close to cancel us, bounded in case it never does.
          Flux.<String>never().timeout(DROP_GRACE, Flux.error(new DroppedOnPurposeException()));
      default ->
          Flux.defer(
              () -> {
                state.finished();
                Flux<String> finish =
                    Flux.just(
                        event(
                            json.finishChunk(
                                head, answer.finishReason(), answer.request().includeUsage())));
                Flux<String> usage =
                    answer.request().includeUsage()
                        ? Flux.just(event(json.usageChunk(head, usage(answer))))
                        : Flux.empty();
                return Flux.concat(finish, usage, Flux.just(DONE));
              });
    };
  }

  private Mono<Void> complete(HttpServerResponse response, Answer answer, AnswerState state) {
    AnswerOptions options = answer.options();
    Duration wait =
        options.ttft().plus(options.tokenDelay().multipliedBy(Math.max(0, answer.sent() - 1)));
    Mono<Long> delay = Mono.delay(wait).doOnCancel(state::cancelled);
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
                  ? midStreamError()
                  : json.completion(
                      answer.head(),
                      String.join("", answer.tokens()),
                      answer.finishReason(),
                      usage(answer));
            });
    return response
        .status(failed ? 500 : 200)
        .header(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .sendString(body)
        .then();
  }

  /** Emits 0..count-1: the first after the TTFT, each further one after the token delay. */
  private static Flux<Integer> paced(int count, AnswerOptions options) {
    return Flux.range(0, count)
        .concatMap(
            i -> {
              Duration wait = i == 0 ? options.ttft() : options.tokenDelay();
              return wait.isZero() ? Mono.just(i) : Mono.delay(wait).thenReturn(i);
            },
            1);
  }

  /**
   * Closes the connection once the tokens already handed to reactor-netty are on the wire: the
   * close runs as a later event-loop task (after the current send drain) and waits for a flushed
   * empty write, so no token before the drop is lost.
   */
  private static void drop(Connection connection, AnswerState state) {
    Channel channel = connection.channel();
    channel
        .eventLoop()
        .execute(
            () -> {
              state.serverAborted();
              channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            });
  }

  private String midStreamError() {
    return json.error(
        "The model stopped with an error (injected by the development LLM).",
        "server_error",
        null,
        "injected_error_mid");
  }

  private static Usage usage(Answer answer) {
    return new Usage(answer.request().promptTokens(), answer.tokens().size());
  }

  private static String event(String data) {
    return "data: " + data + "\n\n";
  }

  /** Ends a {@code drop-mid} answer without the final chunk of the HTTP body. */
  static final class DroppedOnPurposeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DroppedOnPurposeException() {
      super("connection dropped on purpose (drop-mid)", null, false, false);
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
