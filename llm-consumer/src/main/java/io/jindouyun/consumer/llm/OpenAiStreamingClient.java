package io.jindouyun.consumer.llm;

import io.netty.channel.ChannelException;
import io.netty.channel.ChannelOption;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
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
 */
public final class OpenAiStreamingClient implements LlmClient, AutoCloseable {

  /** The transport's failures to reach the LLM (worth retrying): Netty and WebClient ones. */
  public static final List<Class<? extends Throwable>> TRANSPORT_FAILURES =
      List.of(ChannelException.class, WebClientRequestException.class);

  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};
  private static final int ERROR_BODY_CHARS = 300;

  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final WebClient webClient;
  private final JsonMapper mapper;
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
   * @param maxEventBytes bound on one server-sent event
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
                  .exchangeToFlux(this::events)
                  .handle(
                      (event, sink) -> {
                        try {
                          parser.accept(event.data(), sink::next);
                        } catch (RuntimeException e) {
                          sink.error(e);
                        }
                      });
          return deltas.concatWith(Mono.fromCallable(parser::finish));
        });
  }

  private Flux<ServerSentEvent<String>> events(ClientResponse response) {
    if (response.statusCode().is2xxSuccessful()) {
      return response.bodyToFlux(SSE);
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
