package io.jindouyun.consumer.llm;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link LlmClient} for the OpenAI chat-completions streaming protocol ({@code POST
 * /v1/chat/completions} with {@code stream: true} and {@code stream_options.include_usage}), so it
 * talks to OpenAI, vLLM, Ollama and the development LLM alike. Built on WebClient over
 * reactor-netty: cancelling a subscription closes its connection. Owns its event loops and its
 * bounded connection pool (so closing one application context in a JVM never touches another's
 * resources); {@link #close()} releases them and with them every open call. Thread-safe; share one.
 *
 * <p>A 2xx body is read as the connection's byte buffers, on the connection's event loop: each
 * buffer is cut into events by an {@link SseFramer} and their data read by an {@link
 * OpenAiStreamParser} at once (no text decoded but the deltas', no JSON tree), then released; the
 * deltas it yielded wait for the subscriber's demand, and a failure comes after them. Demand on the
 * connection is bounded ({@value #BODY_PREFETCH} buffers' deltas ahead of the subscriber), so a
 * slow subscriber stops the reads rather than growing a queue.
 */
public final class OpenAiStreamingClient implements LlmClient, AutoCloseable {

  /** The transport's failures to reach the LLM (worth retrying): Netty and WebClient ones. */
  public static final List<Class<? extends Throwable>> TRANSPORT_FAILURES =
      List.of(ChannelException.class, WebClientRequestException.class);

  /** Buffers' worth of deltas read ahead of the subscriber's demand. */
  static final int BODY_PREFETCH = 32;

  private static final int ERROR_BODY_CHARS = 300;

  /** Bytes copied out of a buffer at a time. */
  private static final int COPY_BYTES = 1024;

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final WebClient webClient;
  private final JsonMapper mapper;
  private final int maxEventBytes;
  private final LoopResources loops;
  private final ConnectionProvider pool;

  /**
   * The client's settings.
   *
   * @param baseUrl base URL; {@code /v1/chat/completions} is appended
   * @param apiKey bearer token, empty for none
   * @param connectTimeout bound on opening a connection
   * @param readTimeout bound on silence while waiting for the response and between its reads
   * @param maxConnections bound on pooled connections (and on callers waiting for one)
   * @param maxEventBytes bound on one server-sent event (its data plus the line being read) and on
   *     an error body read
   */
  public record Settings(
      URI baseUrl,
      String apiKey,
      Duration connectTimeout,
      Duration readTimeout,
      int maxConnections,
      int maxEventBytes) {

    /** Never prints the API key. */
    @Override
    public String toString() {
      return "Settings[baseUrl="
          + baseUrl
          + ", apiKey="
          + (apiKey.isEmpty() ? "none" : "***")
          + "]";
    }
  }

  /** A client for {@code properties.baseUrl()}, with its own bounded connection pool. */
  public OpenAiStreamingClient(Settings properties, JsonMapper mapper) {
    this.mapper = mapper;
    this.maxEventBytes = properties.maxEventBytes();
    this.loops = LoopResources.create("jdy-llm", LoopResources.DEFAULT_IO_WORKER_COUNT, true);
    this.pool =
        ConnectionProvider.builder("jdy-llm")
            .maxConnections(properties.maxConnections())
            .pendingAcquireMaxCount(properties.maxConnections())
            .pendingAcquireTimeout(properties.connectTimeout())
            .maxIdleTime(Duration.ofSeconds(30))
            .build();
    HttpClient http =
        HttpClient.create(pool)
            .runOn(loops)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS,
                (int) Math.min(Integer.MAX_VALUE, properties.connectTimeout().toMillis()))
            .responseTimeout(properties.readTimeout());
    WebClient.Builder builder =
        WebClient.builder()
            .baseUrl(properties.baseUrl().toString())
            .clientConnector(new ReactorClientHttpConnector(http))
            .codecs(c -> c.defaultCodecs().maxInMemorySize(properties.maxEventBytes()));
    if (!properties.apiKey().isEmpty()) {
      builder.defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + properties.apiKey());
    }
    this.webClient = builder.build();
  }

  /** Closes every open call and releases the event loops (waits at most 5 s). */
  @Override
  public void close() {
    pool.disposeLater().block(CLOSE_TIMEOUT);
    loops.disposeLater(Duration.ZERO, CLOSE_TIMEOUT).block(CLOSE_TIMEOUT);
  }

  @Override
  public Flux<LlmEvent> stream(LlmRequest request) {
    Map<String, Object> body = body(request);
    return Flux.defer(
        () -> {
          OpenAiStreamParser parser = new OpenAiStreamParser(mapper);
          Flux<LlmEvent> deltas =
              webClient
                  .post()
                  .uri("/v1/chat/completions")
                  .contentType(MediaType.APPLICATION_JSON)
                  .accept(MediaType.TEXT_EVENT_STREAM)
                  .bodyValue(body)
                  .exchangeToFlux(response -> events(response, parser));
          return deltas.concatWith(Mono.fromCallable(parser::finish));
        });
  }

  private Flux<LlmEvent> events(ClientResponse response, OpenAiStreamParser parser) {
    if (response.statusCode().is2xxSuccessful()) {
      return deltas(response.bodyToFlux(DataBuffer.class), maxEventBytes, parser);
    }
    int status = response.statusCode().value();
    Duration retryAfter = retryAfter(response.headers().asHttpHeaders());
    return response
        .bodyToMono(String.class)
        .defaultIfEmpty("")
        .onErrorReturn("")
        .flatMapMany(
            text ->
                Flux.error(
                    new LlmHttpException(
                        status,
                        text.length() <= ERROR_BODY_CHARS
                            ? text
                            : text.substring(0, ERROR_BODY_CHARS),
                        retryAfter)));
  }

  /**
   * The deltas of a 2xx body. Each buffer is framed and parsed as it arrives and released; its
   * deltas queue for the subscriber's demand. A failure (of the body, or of its framing or parsing,
   * which cancels the body at once) comes after every delta read before it, those of the failing
   * buffer included: it never overtakes queued deltas.
   */
  static Flux<LlmEvent> deltas(
      Flux<DataBuffer> body, int maxEventBytes, OpenAiStreamParser parser) {
    BodyReader reader = new BodyReader(maxEventBytes, parser);
    return body.<Iterable<LlmEvent>>map(reader::read)
        .onErrorResume(failure -> Mono.just(reader.thenFail(failure)))
        .concatMapIterable(events -> events, BODY_PREFETCH);
  }

  /**
   * Frames and parses one body's buffers as they arrive, releasing each; one per call, used on the
   * connection's event loop only (a body's buffers arrive serially).
   */
  private static final class BodyReader {

    private final SseFramer framer;
    private final OpenAiStreamParser parser;
    private final Consumer<LlmEvent.Delta> sink = this::add;
    private final byte[] copy = new byte[COPY_BYTES];
    private LlmEvent first;
    private List<LlmEvent> more;

    BodyReader(int maxEventBytes, OpenAiStreamParser parser) {
      this.parser = parser;
      this.framer = new SseFramer(maxEventBytes, this::onData);
    }

    /** The deltas in {@code buffer} (often none or one); releases the buffer. */
    List<LlmEvent> read(DataBuffer buffer) {
      try {
        for (int left = buffer.readableByteCount(); left > 0; left = buffer.readableByteCount()) {
          int count = Math.min(left, copy.length);
          buffer.read(copy, 0, count);
          framer.feed(copy, 0, count);
        }
      } finally {
        DataBufferUtils.release(buffer);
      }
      return take();
    }

    /**
     * The deltas read before {@code failure} (none, or those of the buffer that failed), then it.
     */
    Iterable<LlmEvent> thenFail(Throwable failure) {
      List<LlmEvent> before = take();
      return () ->
          new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
              if (next < before.size()) {
                return true;
              }
              throw Exceptions.propagate(failure);
            }

            @Override
            public LlmEvent next() {
              if (next >= before.size()) {
                throw new NoSuchElementException();
              }
              return before.get(next++);
            }
          };
    }

    private List<LlmEvent> take() {
      List<LlmEvent> events = more != null ? more : first != null ? List.of(first) : List.of();
      first = null;
      more = null;
      return events;
    }

    private void onData(byte[] data, int offset, int length) {
      parser.accept(data, offset, length, sink);
    }

    private void add(LlmEvent delta) {
      if (more != null) {
        more.add(delta);
      } else if (first == null) {
        first = delta;
      } else {
        more = new ArrayList<>(4);
        more.add(first);
        more.add(delta);
      }
    }
  }

  private static Duration retryAfter(HttpHeaders headers) {
    String value = headers.getFirst(HttpHeaders.RETRY_AFTER);
    if (value == null) {
      return null;
    }
    try {
      return Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
    } catch (NumberFormatException e) {
      return null; // an HTTP date: fall back to the backoff
    }
  }

  private static Map<String, Object> body(LlmRequest request) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", request.model());
    body.put(
        "messages",
        request.messages().stream()
            .map(m -> Map.of("role", m.role(), "content", m.content()))
            .toList());
    body.put("stream", true);
    body.put("stream_options", Map.of("include_usage", true));
    if (request.maxTokens() != null) {
      body.put("max_tokens", request.maxTokens());
    }
    if (request.temperature() != null) {
      body.put("temperature", request.temperature());
    }
    return body;
  }
}
