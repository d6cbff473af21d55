package io.jindouyun.devllm;

import io.jindouyun.devllm.OpenAiJson.Head;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.http.server.HttpServerResponse;

/**
 * Streams an {@link Answer} as OpenAI SSE: a role chunk at once, a content chunk per token (the
 * first after the TTFT, then one per token delay), a finish chunk, an optional usage chunk and
 * {@code data: [DONE]}; or the injected mid-stream failure. Tokens are paced with {@code
 * Mono.delay} on the connection's event loop: no thread per stream and no thread hand-off per
 * event. Every event is flushed on its own. When the client goes away reactor-netty cancels the
 * event publisher, which {@link AnswerState} counts once. Thread-safe: per-answer state lives in
 * the answer's publisher chain.
 */
final class SseAnswerWriter {

  private static final String DONE = "data: [DONE]\n\n";

  /** How long a {@code drop-mid} answer waits for its closed connection to cancel it. */
  static final Duration DROP_GRACE = Duration.ofSeconds(5);

  private final OpenAiJson json;
  private final Counters counters;

  /** Event loop to its scheduler; as many entries as reactor-netty has event loops. */
  private final Map<EventLoop, Scheduler> timers = new ConcurrentHashMap<>();

  SseAnswerWriter(OpenAiJson json, Counters counters) {
    this.json = json;
    this.counters = counters;
  }

  Mono<Void> write(HttpServerResponse response, Answer answer, AnswerState state) {
    Head head = answer.head();
    boolean usageField = answer.request().includeUsage();
    OpenAiJson.ContentChunks chunks = json.contentChunks(head, usageField);
    Flux<String> tokens =
        paced(answer.sent(), answer.options(), timerOf(response))
            .map(
                i -> {
                  counters.tokensSent(1);
                  return event(chunks.chunk(answer.tokens().get(i)));
                });
    Flux<String> events =
        Flux.concat(
                Mono.fromSupplier(() -> event(json.roleChunk(head, usageField))),
                tokens,
                tail(answer, state))
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
            events.map(text -> ByteBufUtil.writeUtf8(response.alloc(), text)),
            buffer -> {
              if (writes.incrementAndGet() == dropAfterWrites) {
                response.withConnection(connection -> drop(connection, state));
              }
              return true;
            })
        .then();
  }

  private Flux<String> tail(Answer answer, AnswerState state) {
    return switch (answer.fail()) {
      case ERROR_MID ->
          Flux.defer(
              () -> {
                state.finished();
                return Flux.just(event(json.midStreamError()));
              });
      case DROP_MID ->
          // The flush predicate drops the connection (see write). Completing would let
          // reactor-netty end the chunked body cleanly and an error logs at ERROR: wait for the
          // close to cancel us, bounded in case it never does.
          Flux.<String>never().timeout(DROP_GRACE, Flux.error(new DroppedOnPurposeException()));
      default ->
          Flux.defer(
              () -> {
                state.finished();
                boolean usage = answer.request().includeUsage();
                return Flux.concat(
                    Flux.just(event(json.finishChunk(answer.head(), answer.finishReason(), usage))),
                    usage
                        ? Flux.just(event(json.usageChunk(answer.head(), answer.usage())))
                        : Flux.empty(),
                    Flux.just(DONE));
              });
    };
  }

  /**
   * Emits 0..count-1 on {@code timer}: the first after the TTFT, each further one after the token
   * delay.
   */
  static Flux<Integer> paced(int count, AnswerOptions options, Scheduler timer) {
    return Flux.range(0, count)
        .concatMap(
            i -> {
              Duration wait = i == 0 ? options.ttft() : options.tokenDelay();
              return wait.isZero() ? Mono.just(i) : Mono.delay(wait, timer).thenReturn(i);
            },
            1);
  }

  /**
   * The connection's own event loop as a Reactor scheduler: token timers fire on the thread that
   * writes them, so an event costs no thread hand-off. One scheduler per event loop, cached (the
   * loops are a fixed set); never disposed, as that would shut the loop down.
   */
  private Scheduler timerOf(HttpServerResponse response) {
    Scheduler[] timer = new Scheduler[1];
    response.withConnection(
        connection ->
            timer[0] =
                timers.computeIfAbsent(
                    connection.channel().eventLoop(), Schedulers::fromExecutorService));
    return timer[0] != null ? timer[0] : Schedulers.parallel();
  }

  /**
   * Closes the connection once the events already handed to reactor-netty are on the wire: the
   * close runs as a later event-loop task (after the current send drain) and waits for a flushed
   * empty write, so no token before the drop is lost and no terminating chunk is sent.
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

  private static String event(String data) {
    return "data: " + data + "\n\n";
  }

  /** Ends a {@code drop-mid} answer whose connection was not closed within the grace time. */
  static final class DroppedOnPurposeException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DroppedOnPurposeException() {
      super("connection dropped on purpose (drop-mid)", null, false, false);
    }
  }
}
