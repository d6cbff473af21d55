package io.jindouyun.devllm;

import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.json.JsonMapper;

/**
 * A development LLM speaking the OpenAI chat-completions API on reactor-netty (no Spring), for
 * tests (in-process) and for {@code ./jdy up} (as its own process, see {@link DevLlmMain}).
 *
 * <h2>Endpoints</h2>
 *
 * <ul>
 *   <li>{@code POST /v1/chat/completions}: with {@code "stream": true} a {@code text/event-stream}
 *       of {@code chat.completion.chunk}s (role, one chunk per token, a chunk with {@code
 *       finish_reason}, a usage chunk when {@code stream_options.include_usage}, then {@code data:
 *       [DONE]}); otherwise one {@code chat.completion}.
 *   <li>{@code GET /v1/models}: {@value #MODEL_1} and {@value #MODEL_2}.
 *   <li>{@code GET /health}: {@code {"status":"UP"}}.
 * </ul>
 *
 * <p>The answer is deterministic: its words come from a PRNG seeded with a hash of (model,
 * messages), so the same request always gets the same text and the streamed deltas concatenated
 * equal the non-streaming content. Any model name is accepted. The answer has {@code tokens}
 * tokens, or {@code max_tokens}/{@code max_completion_tokens} when smaller (then {@code
 * finish_reason} is {@code "length"}, else {@code "stop"}). Words include non-ASCII text, an emoji,
 * quotes, a backslash, a tab and a newline.
 *
 * <h2>Per-request knobs</h2>
 *
 * Each knob comes from a directive in the content of the LAST user message (strongest), a header,
 * or the server default ({@link DevLlmSettings}). Directives are written {@code [dev:name=value]},
 * several per message, and are part of the prompt (so they also change the answer text):
 *
 * <table>
 *   <caption>Knobs</caption>
 *   <tr><th>directive</th><th>header</th><th>meaning</th></tr>
 *   <tr><td>{@code [dev:ttft=200]}</td><td>{@code X-Dev-Ttft-Ms}</td>
 *       <td>ms to the first content token</td></tr>
 *   <tr><td>{@code [dev:delay=5]}</td><td>{@code X-Dev-Token-Delay-Ms}</td>
 *       <td>ms between tokens</td></tr>
 *   <tr><td>{@code [dev:tokens=10]}</td><td>{@code X-Dev-Tokens}</td>
 *       <td>answer length in tokens</td></tr>
 *   <tr><td>{@code [dev:fail=500]}</td><td>{@code X-Dev-Fail}</td>
 *       <td>{@code 429} (with {@code Retry-After}), {@code 500}, {@code 400}: an OpenAI error JSON
 *       {@code {"error":{"message","type","param","code"}}} instead of the answer;
 *       {@code error-mid}: after N tokens an SSE {@code data: {"error":{...}}}, then the response
 *       ends without {@code [DONE]} (non-streaming: 500 after N tokens' time); {@code drop-mid}:
 *       after N tokens the connection is closed without {@code [DONE]} (non-streaming: closed
 *       without a response); {@code none}</td></tr>
 *   <tr><td>{@code [dev:fail-after=3]}</td><td>{@code X-Dev-Fail-After}</td>
 *       <td>N for the mid-stream failures, default half the answer</td></tr>
 *   <tr><td>{@code [dev:fail-times=1]}</td><td>{@code X-Dev-Fail-Times}</td>
 *       <td>inject the failure only into the first N requests with the same (model, messages),
 *       then answer normally; 0 (default) fails every request</td></tr>
 * </table>
 *
 * <p>Aliases: {@code ttft-ms}, {@code delay-ms}, {@code token-delay}, {@code token-delay-ms}. An
 * unknown directive or an out-of-bounds value is answered with 400.
 *
 * <h2>Errors and bounds</h2>
 *
 * Malformed JSON, a missing or empty {@code messages} array, a bad field: 400 {@code
 * invalid_request_error}. With an API key configured, {@code /v1/*} wants {@code Authorization:
 * Bearer <key>} (401 otherwise). Bodies over {@code maxBodyBytes}: 413. More than {@code
 * maxConcurrentRequests} chat requests in flight: 503. Remembered {@code fail-times} keys: {@code
 * maxFailKeys}.
 *
 * <h2>Counters for tests</h2>
 *
 * {@link #requests()} counts chat requests received; {@link #closedEarly()} counts answers the
 * CLIENT abandoned before the server ended them (connection closed or stream cancelled, before or
 * after the first token), each exactly once; answers the server ends on purpose ({@code error-mid},
 * {@code drop-mid}) are never counted. Thread-safe; create one per test class and {@link #close()}
 * it.
 */
public final class DevLlmServer implements AutoCloseable {

  /** The first model listed by {@code /v1/models}, used when a request names none. */
  public static final String MODEL_1 = ChatRequest.DEFAULT_MODEL;

  /** The second model listed by {@code /v1/models}. */
  public static final String MODEL_2 = "jdy-dev-mini";

  private static final Logger log = LoggerFactory.getLogger(DevLlmServer.class);
  private static final Duration BIND_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final DevLlmSettings settings;
  private final Counters counters;
  private final ReceivedRequests received;
  private final DisposableServer server;

  /** Open connections; Netty removes a channel when it closes. */
  private final ChannelGroup connections;

  private DevLlmServer(
      DevLlmSettings settings,
      Counters counters,
      ReceivedRequests received,
      DisposableServer server,
      ChannelGroup connections) {
    this.settings = settings;
    this.counters = counters;
    this.received = received;
    this.server = server;
    this.connections = connections;
  }

  /**
   * Binds and starts a server.
   *
   * @param settings server defaults and bounds; port 0 picks a free port
   */
  public static DevLlmServer start(DevLlmSettings settings) {
    JsonMapper mapper = JsonMapper.builder().build();
    OpenAiJson json = new OpenAiJson(mapper);
    Replies replies = new Replies(json, settings.apiKey());
    Counters counters = new Counters();
    ReceivedRequests received = new ReceivedRequests();
    ChatCompletionsHandler chat =
        new ChatCompletionsHandler(
            settings,
            new AnswerPlanner(settings, new ChatRequestParser(mapper), received),
            replies,
            new SseAnswerWriter(json, counters),
            new JsonAnswerWriter(json, counters),
            counters);
    String models = json.models(List.of(MODEL_1, MODEL_2), 1_735_689_600L);
    ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
    DisposableServer server =
        HttpServer.create()
            .host(settings.host())
            .port(settings.port())
            .idleTimeout(settings.idleTimeout())
            .doOnConnection(connection -> connections.add(connection.channel()))
            .route(
                routes ->
                    routes
                        .get("/health", (req, res) -> replies.json(res, 200, "{\"status\":\"UP\"}"))
                        .get(
                            "/stats",
                            (req, res) ->
                                replies.json(
                                    res,
                                    200,
                                    "{\"requests\":"
                                        + counters.requests()
                                        + ",\"closedEarly\":"
                                        + counters.closedEarly()
                                        + "}"))
                        .get(
                            "/v1/models",
                            (req, res) ->
                                replies.authorized(req)
                                    ? replies.json(res, 200, models)
                                    : replies.reject(res, Rejection.unauthorized()))
                        .post("/v1/chat/completions", chat::handle)
                        .route(
                            req -> true,
                            (req, res) ->
                                replies.reject(
                                    res, Rejection.notFound(req.method().name(), req.path()))))
            .bindNow(BIND_TIMEOUT);
    log.debug("Development LLM listening on {} with {}", server.address(), settings);
    return new DevLlmServer(settings, counters, received, server, connections);
  }

  /** {@code http://<host>:<port>}, without a trailing slash. */
  public String baseUrl() {
    return "http://" + settings.host() + ":" + port();
  }

  /** The bound port. */
  public int port() {
    return server.port();
  }

  /** The settings the server was started with. */
  public DevLlmSettings settings() {
    return settings;
  }

  /** One message of a received chat request. */
  public record ReceivedMessage(String role, String content) {}

  /**
   * The messages of the last 64 well-formed chat requests received, oldest first (a test checks
   * what a client sent with it).
   */
  public List<List<ReceivedMessage>> received() {
    return received.snapshot();
  }

  /** Chat requests received (every {@code POST /v1/chat/completions}, also rejected ones). */
  public long requests() {
    return counters.requests();
  }

  /** Answers the client abandoned before the server finished them, each counted once. */
  public long closedEarly() {
    return counters.closedEarly();
  }

  /** Content tokens sent (streamed chunks, or the tokens of complete non-streaming answers). */
  public long tokensSent() {
    return counters.tokensSent();
  }

  /** Chat requests in flight. */
  public int activeRequests() {
    return counters.active();
  }

  /**
   * Waits until {@link #closedEarly()} reaches {@code n}.
   *
   * @return true when reached within {@code max}, false on timeout or interrupt
   */
  public boolean awaitClosedEarly(long n, Duration max) {
    try {
      return counters.awaitClosedEarly(n, max);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Completes when the server has been closed. */
  Mono<Void> onClose() {
    return server.onDispose();
  }

  /** Stops listening, then closes open connections (ending their answers); waits at most 5 s. */
  @Override
  public void close() {
    counters.serverClosing();
    server.disposeNow(CLOSE_TIMEOUT);
    connections.close().awaitUninterruptibly(CLOSE_TIMEOUT.toMillis());
  }
}
