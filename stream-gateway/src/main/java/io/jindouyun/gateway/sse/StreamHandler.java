package io.jindouyun.gateway.sse;

import io.jindouyun.gateway.metrics.GatewayMetrics;
import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.security.Caller;
import io.jindouyun.gateway.stream.Cursor;
import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.StreamEvent;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.gateway.stream.TokenUsage;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import tools.jackson.databind.json.JsonMapper;

/**
 * The stream endpoints: read ({@code GET|POST /v1/chat/stream/{streamId}}, Server-Sent Events),
 * acknowledge ({@code POST /v1/chat/ack/{streamId}}) and cancel ({@code DELETE
 * /v1/chat/stream/{streamId}}).
 *
 * <p>A reader is a {@link Cursor}; the stream map wakes it with a tick whenever the generation
 * changes, ticks coalesce (latest wins) and each tick drains everything new, so nothing per token
 * is kept for the reader. The reply thread only applies chunks and ticks; draining, encoding and
 * writing run on the reader's connection's event loop. A {@code : ping} comment goes out at connect
 * and every ping interval. A reader of a stream not held here is given to {@link Handover}: the
 * stream of a gone gateway may be served by the gateway that took its reply partition over.
 */
public final class StreamHandler {

  private static final Object TICK = new Object();
  private static final String LAST_EVENT_ID = "Last-Event-ID";
  private static final Duration COME_BACK = Duration.ofMillis(500);

  private final StreamMap streams;
  private final JsonMapper json;
  private final GatewayMetrics metrics;
  private final Duration pingInterval;
  private final Handover handover;
  private final Sinks.Empty<Void> handedOff = Sinks.empty();
  private volatile boolean ended;

  /**
   * A handler over {@code streams}; a reader of a stream not here, whose id names another gateway,
   * is served by {@code handover}.
   */
  public StreamHandler(
      StreamMap streams,
      JsonMapper json,
      GatewayMetrics metrics,
      Duration pingInterval,
      Handover handover) {
    this.handover = handover;
    this.streams = streams;
    this.json = json;
    this.metrics = metrics;
    this.pingInterval = pingInterval;
  }

  /** {@code GET|POST /v1/chat/stream/{streamId}}. */
  public Mono<ServerResponse> stream(ServerRequest request) {
    String streamId = request.pathVariable("streamId");
    if (handover.notYet(streamId)) {
      return handover.comeBackLater();
    }
    return caller(request)
        .map(
            caller -> {
              if (!caller.mayRead(streamId)) {
                throw new ProblemException(
                    ProblemKind.UNAUTHORIZED, "the ticket is for another stream");
              }
              String lastEventId = request.headers().firstHeader(LAST_EVENT_ID);
              if (lastEventId == null) {
                lastEventId = request.queryParam("lastEventId").orElse(null);
              }
              Wakeup wakeup = new Wakeup();
              Cursor cursor = streams.attach(caller.userId(), streamId, lastEventId, wakeup);
              return events(cursor, wakeup, drainer(request));
            })
        .flatMap(
            body ->
                ServerResponse.ok()
                    .contentType(MediaType.TEXT_EVENT_STREAM)
                    .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .header("X-Accel-Buffering", "no")
                    .body(BodyInserters.fromServerSentEvents(body)))
        .onErrorResume(
            StreamHandler::notFound, e -> handover.serve(request, streamId, (ProblemException) e));
  }

  private static boolean notFound(Throwable e) {
    return e instanceof ProblemException p && p.kind() == ProblemKind.STREAM_NOT_FOUND;
  }

  /**
   * {@code POST /v1/chat/ack/{streamId}} body {@code {"lastEventId"}}: 204; releases the buffer,
   * the slot stays warm. A {@code lastEventId} that is malformed or names no chunk of the stream is
   * a 400 naming the field ({@link AckBody}).
   */
  public Mono<ServerResponse> ack(ServerRequest request) {
    String streamId = request.pathVariable("streamId");
    return userCaller(request)
        .zipWith(request.bodyToMono(byte[].class).defaultIfEmpty(new byte[0]))
        .flatMap(
            t -> {
              String lastEventId = AckBody.lastEventId(json, t.getT2());
              streams.ack(t.getT1().userId(), streamId, lastEventId);
              return ServerResponse.noContent().build();
            });
  }

  /** {@code DELETE /v1/chat/stream/{streamId}}: 202; cancels upstream if still running. */
  public Mono<ServerResponse> cancel(ServerRequest request) {
    return onOwnStream(request, streams::cancel, HttpStatus.ACCEPTED);
  }

  /**
   * Runs {@code action} with the signed-in user (not a stream ticket) and the path's stream id,
   * then answers {@code status} with no body.
   */
  private static Mono<ServerResponse> onOwnStream(
      ServerRequest request, BiConsumer<String, String> action, HttpStatus status) {
    String streamId = request.pathVariable("streamId");
    return userCaller(request)
        .flatMap(
            caller -> {
              action.accept(caller.userId(), streamId);
              return ServerResponse.status(status).build();
            });
  }

  /**
   * The connection's own event loop when the server is Reactor Netty: the reader drains, encodes
   * and writes there, one hand-off per wake-up instead of two (a worker, then the event loop for
   * the write). Reactor's parallel workers otherwise.
   */
  private static Scheduler drainer(ServerRequest request) {
    Object nativeRequest =
        ServerHttpRequestDecorator.getNativeRequest(request.exchange().getRequest());
    if (nativeRequest instanceof Connection connection) {
      return Schedulers.fromExecutor(connection.channel().eventLoop());
    }
    return Schedulers.parallel();
  }

  private Flux<ServerSentEvent<String>> events(Cursor cursor, Wakeup wakeup, Scheduler drainer) {
    Generation gen = cursor.generation();
    Flux<ServerSentEvent<String>> data =
        Flux.create(
                (FluxSink<Object> sink) -> {
                  wakeup.sink = sink;
                  sink.onDispose(cursor::close);
                  sink.next(TICK);
                },
                FluxSink.OverflowStrategy.LATEST)
            // drain and encode off the reply thread, which only applies chunks and ticks
            .publishOn(drainer, 1)
            .concatMap(tick -> Flux.fromIterable(cursor.poll()), 1)
            .takeUntil(StreamEvent::terminal)
            .map(event -> toSse(gen, event))
            // handed over to another gateway (a drain): the response ends cleanly, and the reader
            // comes back with its Last-Event-ID to the gateway that serves the stream now
            .takeUntilOther(handedOff.asMono())
            .concatWith(Flux.defer(this::comeBackIfHandedOff));
    Flux<ServerSentEvent<String>> pings =
        Flux.interval(Duration.ZERO, pingInterval)
            .map(i -> ServerSentEvent.<String>builder().comment("ping").build());
    return data.publish(shared -> Flux.merge(shared, pings.takeUntilOther(shared.then())));
  }

  /**
   * Ends every reader's response now, without a terminal event and with a {@code retry:}, and every
   * later reader's at once: the streams were handed over to another gateway (a drain). Nothing is
   * cancelled; the streams stay in the map until the gateway stops.
   */
  public void handOff() {
    ended = true;
    handedOff.tryEmitEmpty();
  }

  private Flux<ServerSentEvent<String>> comeBackIfHandedOff() {
    if (!ended) {
      return Flux.empty();
    }
    return Flux.just(
        ServerSentEvent.<String>builder()
            .retry(COME_BACK)
            .comment("this gateway is draining; come back")
            .build());
  }

  private ServerSentEvent<String> toSse(Generation gen, StreamEvent event) {
    if (event instanceof StreamEvent.Chunk c) {
      if (gen.markFirstWritten()) {
        metrics.ttft(System.nanoTime() - gen.createdNanos());
      }
      if (c.live()) {
        metrics.addedLatency(System.currentTimeMillis() - c.timestampMs());
      }
      return ServerSentEvent.<String>builder()
          .id(c.id())
          .event("chunk")
          .data(json.writeValueAsString(Map.of("delta", c.delta())))
          .build();
    }
    if (event instanceof StreamEvent.Reset r) {
      return named("reset", Map.of("generation", r.generation()));
    }
    if (event instanceof StreamEvent.Done d) {
      Map<String, Object> done = new LinkedHashMap<>();
      done.put("finishReason", d.finishReason());
      done.put("usage", usage(d.usage()));
      return named("done", done);
    }
    if (event instanceof StreamEvent.Failed f) {
      metrics.error();
      Map<String, Object> problem = new LinkedHashMap<>();
      problem.put("type", f.problem().type());
      problem.put("title", f.problem().title());
      problem.put("status", f.problem().status());
      problem.put("detail", f.problem().detail());
      return named("error", problem);
    }
    StreamEvent.Superseded s = (StreamEvent.Superseded) event;
    return named("superseded", Map.of("generation", s.generation()));
  }

  private ServerSentEvent<String> named(String name, Object data) {
    return ServerSentEvent.<String>builder()
        .event(name)
        .data(json.writeValueAsString(data))
        .build();
  }

  private static Map<String, Object> usage(TokenUsage usage) {
    if (usage == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("promptTokens", usage.promptTokens());
    m.put("completionTokens", usage.completionTokens());
    m.put("totalTokens", usage.totalTokens());
    return m;
  }

  private static Mono<Caller> caller(ServerRequest request) {
    return request
        .principal()
        .flatMap(p -> Mono.justOrEmpty(Caller.of(p)))
        .switchIfEmpty(
            Mono.error(() -> new ProblemException(ProblemKind.UNAUTHORIZED, "not signed in")));
  }

  private static Mono<Caller> userCaller(ServerRequest request) {
    return caller(request)
        .map(
            c -> {
              if (c.ticketFor() != null) {
                throw new ProblemException(
                    ProblemKind.UNAUTHORIZED, "a stream ticket only opens the stream");
              }
              return c;
            });
  }

  /** Forwards stream-map signals to the reader's sink once it exists. */
  private static final class Wakeup implements Runnable {
    private volatile FluxSink<Object> sink;

    @Override
    public void run() {
      FluxSink<Object> s = sink;
      if (s != null) {
        s.next(TICK);
      }
    }
  }
}
