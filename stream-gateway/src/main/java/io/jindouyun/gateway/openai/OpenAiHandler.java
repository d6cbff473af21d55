package io.jindouyun.gateway.openai;

import io.jindouyun.gateway.handshake.HandshakeChain;
import io.jindouyun.gateway.handshake.HandshakeContext;
import io.jindouyun.gateway.handshake.HandshakeResult;
import io.jindouyun.gateway.metrics.GatewayMetrics;
import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.security.Caller;
import io.jindouyun.gateway.stream.Cursor;
import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.StreamEvent;
import io.jindouyun.gateway.stream.StreamMap;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxSink;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The OpenAI-compatible endpoints: {@code POST /v1/chat/completions} (streaming or not) and {@code
 * GET /v1/models}.
 *
 * <p>A completion runs the handshake pipeline with an independent context (auth, validate, ready,
 * rate limit, open, send the job through Kafka), then reads its generation from the stream map like
 * a stream reader, and lets it go when the response ends: acknowledged when it was answered,
 * cancelled upstream when the client went away first. Its generation takes no user slot, so
 * requests of one user neither supersede each other nor the user's chat; {@link UserConcurrency}
 * bounds how many run at once.
 *
 * <p>Concurrency: the reply thread only wakes the reader; draining, encoding and writing run on the
 * connection's event loop. The per-request state of a streamed answer lives in one {@link
 * StreamWriter}, touched only by that serial drain.
 */
public final class OpenAiHandler {

  /** The response header that names the conversation the answer is stored in. */
  public static final String CONVERSATION_HEADER = "X-Conversation-Id";

  private static final Object TICK = new Object();

  private final HandshakeChain chain;
  private final StreamMap streams;
  private final JsonMapper json;
  private final GatewayMetrics metrics;
  private final CompletionRequests requests;
  private final UserConcurrency concurrency;
  private final OpenAiProperties props;
  private final List<String> models;
  private final int maxBodyBytes;
  private final Duration pingInterval;

  OpenAiHandler(
      HandshakeChain chain,
      StreamMap streams,
      JsonMapper json,
      GatewayMetrics metrics,
      CompletionRequests requests,
      OpenAiProperties props,
      List<String> models,
      int maxBodyBytes,
      Duration pingInterval) {
    this.chain = chain;
    this.streams = streams;
    this.json = json;
    this.metrics = metrics;
    this.requests = requests;
    this.concurrency = new UserConcurrency(props.maxConcurrentPerUser());
    this.props = props;
    this.models = List.copyOf(models);
    this.maxBodyBytes = maxBodyBytes;
    this.pingInterval = pingInterval;
  }

  /** {@code GET /v1/models}: the models the gateway accepts. */
  public Mono<ServerResponse> models(ServerRequest request) {
    return principal(request)
        .flatMap(
            p -> {
              user(p.orElse(null));
              return ServerResponse.ok()
                  .contentType(MediaType.APPLICATION_JSON)
                  .bodyValue(CompletionJson.models(models));
            });
  }

  /** {@code POST /v1/chat/completions}. */
  public Mono<ServerResponse> completions(ServerRequest request) {
    long declared = request.headers().contentLength().orElse(-1);
    if (declared > maxBodyBytes) {
      return Mono.error(tooLarge());
    }
    Scheduler drainer = drainer(request);
    return Mono.zip(principal(request), body(request))
        .flatMap(t -> start(t.getT1().orElse(null), t.getT2(), drainer));
  }

  private Mono<ServerResponse> start(Principal principal, byte[] body, Scheduler drainer) {
    String userId = user(principal);
    CompletionRequest req;
    try {
      req = requests.parse(json.readValue(body, Object.class));
    } catch (JacksonException e) {
      throw OpenAiError.invalid(
          null, "We could not parse the JSON body of your request: " + e.getOriginalMessage());
    }
    UserConcurrency.Permit permit = concurrency.tryAcquire(userId);
    if (permit == null) {
      throw OpenAiErrors.rateLimited(
          "Too many requests of this user at once (at most "
              + props.maxConcurrentPerUser()
              + "); try again when one has finished.",
          props.retryAfter());
    }
    long created = System.currentTimeMillis() / 1000;
    return chain
        .next(HandshakeContext.independent(principal, json.writeValueAsBytes(req.chat())))
        .onErrorMap(ProblemException.class, OpenAiErrors::of)
        .doOnError(e -> permit.release())
        .doOnCancel(permit::release)
        .flatMap(
            result -> {
              Generation gen = streams.find(userId, result.streamId());
              if (gen == null) {
                permit.release();
                return Mono.error(
                    OpenAiErrors.unavailable(
                        "The answer ended before it could be read; try again.",
                        Duration.ofSeconds(1)));
              }
              CompletionJson shape =
                  new CompletionJson("chatcmpl-" + result.streamId(), created, req.chat().model());
              Flux<StreamEvent> events =
                  events(userId, result, drainer)
                      .doFinally(
                          signal -> {
                            streams.close(gen);
                            permit.release();
                          });
              String conversation = result.conversationId() == null ? "" : result.conversationId();
              return req.stream()
                  ? streamed(gen, events, shape, req.includeUsage(), conversation)
                  : whole(gen, events, shape, conversation);
            });
  }

  private Mono<ServerResponse> streamed(
      Generation gen,
      Flux<StreamEvent> events,
      CompletionJson shape,
      boolean includeUsage,
      String conversationId) {
    StreamWriter writer = new StreamWriter(gen, shape, includeUsage);
    Flux<ServerSentEvent<String>> data =
        Flux.concat(
                Flux.just(writer.first()),
                events
                    .map(writer::write)
                    .takeUntil(StreamWriter.Out::last)
                    .concatMapIterable(StreamWriter.Out::payloads))
            .map(payload -> ServerSentEvent.<String>builder().data(payload).build());
    Flux<ServerSentEvent<String>> pings =
        Flux.interval(pingInterval, pingInterval)
            .map(i -> ServerSentEvent.<String>builder().comment("ping").build());
    Flux<ServerSentEvent<String>> body =
        data.publish(shared -> Flux.merge(shared, pings.takeUntilOther(shared.then())));
    return ServerResponse.ok()
        .header(CONVERSATION_HEADER, conversationId)
        .contentType(MediaType.TEXT_EVENT_STREAM)
        .header(HttpHeaders.CACHE_CONTROL, "no-cache")
        .header("X-Accel-Buffering", "no")
        .body(BodyInserters.fromServerSentEvents(body));
  }

  private Mono<ServerResponse> whole(
      Generation gen, Flux<StreamEvent> events, CompletionJson shape, String conversationId) {
    StringBuilder text = new StringBuilder();
    return events
        .takeUntil(StreamEvent::terminal)
        .filter(
            event -> {
              if (event instanceof StreamEvent.Chunk c) {
                firstWritten(gen, c);
                text.append(c.delta());
                return false;
              }
              if (event instanceof StreamEvent.Reset) {
                text.setLength(0); // the answer restarted upstream
                return false;
              }
              return event.terminal();
            })
        .next()
        .switchIfEmpty(
            Mono.error(
                () ->
                    OpenAiErrors.unavailable(
                        "The answer ended without a result; try again.", Duration.ofSeconds(1))))
        .flatMap(
            end -> {
              if (end instanceof StreamEvent.Done d) {
                return ServerResponse.ok()
                    .header(CONVERSATION_HEADER, conversationId)
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(
                        shape.completion(
                            text.toString(),
                            CompletionJson.finishReason(d.finishReason()),
                            d.usage()));
              }
              return Mono.error(StreamWriter.failure(end));
            });
  }

  private void firstWritten(Generation gen, StreamEvent.Chunk c) {
    if (gen.markFirstWritten()) {
      metrics.ttft(System.nanoTime() - gen.createdNanos());
    }
    if (c.live()) {
      metrics.addedLatency(System.currentTimeMillis() - c.timestampMs());
    }
  }

  /**
   * The generation's events from the start, woken by the stream map, drained on {@code drainer}.
   */
  private Flux<StreamEvent> events(String userId, HandshakeResult result, Scheduler drainer) {
    return Flux.defer(
        () -> {
          Wakeup wakeup = new Wakeup();
          Cursor cursor = streams.attach(userId, result.streamId(), null, wakeup);
          return Flux.create(
                  (FluxSink<Object> sink) -> {
                    wakeup.sink = sink;
                    sink.onDispose(cursor::close);
                    sink.next(TICK);
                  },
                  FluxSink.OverflowStrategy.LATEST)
              .publishOn(drainer, 1)
              .concatMap(tick -> Flux.fromIterable(cursor.poll()), 1)
              .takeUntil(StreamEvent::terminal);
        });
  }

  /** The caller's user id; a stream ticket or no token is refused. */
  private static String user(Principal principal) {
    Caller caller = Caller.of(principal);
    if (caller == null || caller.ticketFor() != null) {
      throw new OpenAiError(
          401, "invalid_request_error", null, "invalid_api_key", "A user token is required.", null);
    }
    return caller.userId();
  }

  private static Mono<Optional<Principal>> principal(ServerRequest request) {
    return request.principal().map(Optional::<Principal>of).defaultIfEmpty(Optional.empty());
  }

  private Mono<byte[]> body(ServerRequest request) {
    return DataBufferUtils.join(request.bodyToFlux(DataBuffer.class), maxBodyBytes)
        .map(
            buffer -> {
              try {
                byte[] bytes = new byte[buffer.readableByteCount()];
                buffer.read(bytes);
                return bytes;
              } finally {
                DataBufferUtils.release(buffer);
              }
            })
        .defaultIfEmpty(new byte[0])
        .onErrorMap(DataBufferLimitException.class, e -> tooLarge());
  }

  private OpenAiError tooLarge() {
    return new OpenAiError(
        413,
        "invalid_request_error",
        null,
        "request_too_large",
        "The body is larger than " + maxBodyBytes + " bytes.",
        null);
  }

  /** The connection's event loop under Reactor Netty (as the stream reader), else parallel. */
  private static Scheduler drainer(ServerRequest request) {
    Object nativeRequest =
        ServerHttpRequestDecorator.getNativeRequest(request.exchange().getRequest());
    if (nativeRequest instanceof Connection connection) {
      return Schedulers.fromExecutor(connection.channel().eventLoop());
    }
    return Schedulers.parallel();
  }

  /** Turns a streamed answer's events into {@code data:} payloads; one per request. */
  private final class StreamWriter {

    /** What one event becomes; {@code last} ends the stream. */
    record Out(List<String> payloads, boolean last) {}

    private final Generation gen;
    private final CompletionJson shape;
    private final boolean includeUsage;
    private boolean sentText;

    StreamWriter(Generation gen, CompletionJson shape, boolean includeUsage) {
      this.gen = gen;
      this.shape = shape;
      this.includeUsage = includeUsage;
    }

    String first() {
      return json.writeValueAsString(shape.roleChunk(includeUsage));
    }

    Out write(StreamEvent event) {
      if (event instanceof StreamEvent.Chunk c) {
        firstWritten(gen, c);
        if (c.delta().isEmpty()) {
          return new Out(List.of(), false);
        }
        sentText = true;
        return new Out(
            List.of(json.writeValueAsString(shape.textChunk(c.delta(), includeUsage))), false);
      }
      if (event instanceof StreamEvent.Reset) {
        if (!sentText) {
          return new Out(List.of(), false);
        }
        // text already sent cannot be taken back: end the answer with an error
        return error(
            new OpenAiError(
                502,
                "server_error",
                null,
                "upstream_restarted",
                "The answer restarted upstream after part of it was sent; try again.",
                null));
      }
      if (event instanceof StreamEvent.Done d) {
        List<String> out = new ArrayList<>(3);
        out.add(
            json.writeValueAsString(
                shape.finishChunk(CompletionJson.finishReason(d.finishReason()), includeUsage)));
        if (includeUsage) {
          out.add(json.writeValueAsString(shape.usageChunk(d.usage())));
        }
        out.add("[DONE]");
        return new Out(out, true);
      }
      return error(failure(event));
    }

    private Out error(OpenAiError e) {
      metrics.error();
      return new Out(List.of(json.writeValueAsString(e.body())), true);
    }

    static OpenAiError failure(StreamEvent end) {
      if (end instanceof StreamEvent.Failed f) {
        return OpenAiErrors.of(f.problem());
      }
      return OpenAiErrors.unavailable(
          "The answer was ended by another request; try again.", Duration.ofSeconds(1));
    }
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
