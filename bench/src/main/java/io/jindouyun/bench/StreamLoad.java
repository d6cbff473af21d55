package io.jindouyun.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.retry.Retry;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Load generator for the chat path: N concurrent streams (handshake, SSE, ack) through the suite,
 * compared in the same run with N concurrent streams straight from the development LLM.
 *
 * <p>Every answer's text is checked against the LLM's non-streaming answer for the same request.
 * Reports time to first token (TTFT) and the delay between chunks, p50 and p99, for both paths, and
 * the difference. With {@code --mode=idle} it holds N streams open on answers that do not start,
 * and reports the gateway's heap per idle stream (needs {@code --gateway-pid} and {@code jcmd};
 * {@code --users=PREFIX} names its users, {@code idle-} by default); {@code --mode=routing} runs
 * {@link RoutingBench} (open-loop chats through several front doors while one gateway is made sick;
 * bench/routing/run.sh); {@code --mode=chaos} runs {@link ChaosBench} (chats at a steady rate while
 * components are killed; bench/chaos/run.sh). {@code --warmup=K} first runs K unreported rounds of
 * both paths (young JVMs spend most of their CPU in the JIT compilers); {@code --pids=name=pid,…}
 * reports each process's CPU per delivered chunk in each phase, split into work, JIT and GC. {@code
 * --openai=true} also runs the N streams through the suite's OpenAI-compatible API ({@code POST
 * /v1/chat/completions}, streamed) after the three-request flow, and reports its TTFT against the
 * three requests'.
 *
 * <pre>
 * java -jar bench/target/bench-*-exec.jar --gateway=http://127.0.0.1:8081 \
 *     --llm=http://127.0.0.1:8099 --streams=1000 --ramp=500 --tokens=40 --ttft-ms=100 --delay-ms=25 \
 *     --warmup=5 --pids=gw-1=$(cat .jdy/run/gw-1.pid),kafka=$(cat .jdy/run/kafka.pid)
 * </pre>
 */
public final class StreamLoad {

  static final String MODEL = "jdy-dev-1";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  record Options(
      String gateway,
      String llm,
      int streams,
      int ramp,
      int tokens,
      int ttftMs,
      int delayMs,
      int prompts,
      String secret,
      String mode,
      long gatewayPid,
      Duration timeout,
      int warmup,
      Map<String, Long> pids,
      boolean openAi,
      String users) {

    static Options parse(String[] args) {
      Map<String, String> map = new HashMap<>();
      for (String arg : args) {
        if (!arg.startsWith("--") || !arg.contains("=")) {
          throw new IllegalArgumentException("arguments are --name=value, got: " + arg);
        }
        map.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
      }
      return new Options(
          map.getOrDefault("gateway", "http://127.0.0.1:8081"),
          map.getOrDefault("llm", "http://127.0.0.1:8099"),
          Integer.parseInt(map.getOrDefault("streams", "100")),
          Integer.parseInt(map.getOrDefault("ramp", "500")),
          Integer.parseInt(map.getOrDefault("tokens", "40")),
          Integer.parseInt(map.getOrDefault("ttft-ms", "100")),
          Integer.parseInt(map.getOrDefault("delay-ms", "25")),
          Integer.parseInt(map.getOrDefault("prompts", "16")),
          map.getOrDefault(
              "secret",
              System.getenv()
                  .getOrDefault(
                      "JINDOUYUN_JWT_SECRET", "jindouyun-dev-secret-change-me-0123456789abcdef")),
          map.getOrDefault("mode", "stream"),
          Long.parseLong(map.getOrDefault("gateway-pid", "-1")),
          Duration.ofSeconds(Long.parseLong(map.getOrDefault("timeout-s", "120"))),
          Integer.parseInt(map.getOrDefault("warmup", "0")),
          ProcessCpu.parsePids(map.getOrDefault("pids", "")),
          Boolean.parseBoolean(map.getOrDefault("openai", "false")),
          map.getOrDefault("users", "idle-"));
    }
  }

  /** What one path (direct or through the suite) measured. */
  record Result(
      String path,
      int streams,
      int errors,
      int wrongText,
      LatencyStats ttft,
      LatencyStats gaps,
      LatencyStats lag) {

    /** Chunks delivered: one first token per stream that had one, plus every later gap. */
    long chunks() {
      return ttft.count() + gaps.count();
    }

    String row() {
      return String.format(
          Locale.ROOT,
          "| %s | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |",
          path,
          streams,
          errors,
          wrongText,
          ttft.millisAt(50),
          ttft.millisAt(99),
          gaps.millisAt(50),
          gaps.millisAt(99),
          lag.millisAt(50),
          lag.millisAt(99));
    }
  }

  private final Options options;
  private final HttpClient http;
  private final Map<String, String> expected = new ConcurrentHashMap<>();
  private final Map<String, int[]> boundaries = new ConcurrentHashMap<>();
  private final Map<String, String> firstErrors = new ConcurrentHashMap<>();

  StreamLoad(Options options) {
    this.options = options;
    ConnectionProvider pool =
        ConnectionProvider.builder("bench")
            .maxConnections(options.streams() * 2 + 16)
            .pendingAcquireMaxCount(options.streams() * 4 + 16)
            .pendingAcquireTimeout(Duration.ofSeconds(60))
            .build();
    this.http = HttpClient.create(pool).responseTimeout(options.timeout());
  }

  public static void main(String[] args) throws Exception {
    if (Arrays.asList(args).contains("--mode=chaos")
        || Arrays.asList(args).contains("--mode=chaos-report")) {
      ChaosBench.main(args);
      return;
    }
    if (Arrays.asList(args).contains("--mode=routing")) {
      RoutingBench.main(args);
      return;
    }
    Options options = Options.parse(args);
    StreamLoad load = new StreamLoad(options);
    if ("idle".equals(options.mode())) {
      load.idleHeap();
      return;
    }
    if ("budget".equals(options.mode())) {
      BudgetFlood.main(args);
      return;
    }
    load.loadExpected();
    for (int w = 1; w <= options.warmup(); w++) {
      Result warmDirect = load.run("LLM direct", load::directStream);
      Result warmSuite = load.run("through the suite", load::suiteStream);
      if (options.openAi()) {
        load.run("OpenAI API through the suite", load::openAiStream);
      }
      System.out.printf(
          Locale.ROOT,
          "warm-up %d/%d: TTFT p99 direct %.1f ms, suite %.1f ms; errors %d%n",
          w,
          options.warmup(),
          warmDirect.ttft().millisAt(99),
          warmSuite.ttft().millisAt(99),
          warmDirect.errors() + warmSuite.errors() + warmSuite.wrongText());
    }
    load.firstErrors.clear();
    ProcessCpu cpu = new ProcessCpu(options.pids());
    ProcessCpu.Snapshot before = cpu.snapshot();
    Result direct = load.run("LLM direct", load::directStream);
    ProcessCpu.Snapshot between = cpu.snapshot();
    Result suite = load.run("through the suite", load::suiteStream);
    ProcessCpu.Snapshot after = cpu.snapshot();
    Result openAi =
        options.openAi() ? load.run("OpenAI API through the suite", load::openAiStream) : null;
    System.out.println();
    System.out.println(
        "| path | streams | errors | wrong text | TTFT p50 ms | TTFT p99 ms | gap p50 ms | gap p99 ms"
            + " | token lag p50 ms | token lag p99 ms |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|");
    System.out.println(direct.row());
    System.out.println(suite.row());
    if (openAi != null) {
      System.out.println(openAi.row());
    }
    System.out.printf(
        Locale.ROOT,
        "added TTFT: p50 %+.1f ms, p99 %+.1f ms; added gap: p50 %+.1f ms, p99 %+.1f ms%n",
        suite.ttft().millisAt(50) - direct.ttft().millisAt(50),
        suite.ttft().millisAt(99) - direct.ttft().millisAt(99),
        suite.gaps().millisAt(50) - direct.gaps().millisAt(50),
        suite.gaps().millisAt(99) - direct.gaps().millisAt(99));
    if (openAi != null) {
      System.out.printf(
          Locale.ROOT,
          "OpenAI API against the three requests: TTFT p50 %+.1f ms, p99 %+.1f ms%n",
          openAi.ttft().millisAt(50) - suite.ttft().millisAt(50),
          openAi.ttft().millisAt(99) - suite.ttft().millisAt(99));
    }
    if (!options.pids().isEmpty()) {
      System.out.println();
      System.out.println(
          "CPU per delivered chunk (µs), from /proc/<pid>/stat: "
              + direct.chunks()
              + " chunks direct, "
              + suite.chunks()
              + " through the suite");
      System.out.println(cpu.table(before, between, after, direct.chunks(), suite.chunks()));
      long directTokens = (long) (direct.streams() - direct.errors()) * options.tokens();
      long suiteTokens = (long) (suite.streams() - suite.errors()) * options.tokens();
      System.out.println(
          "CPU per delivered token (µs): "
              + directTokens
              + " tokens direct, "
              + suiteTokens
              + " through the suite");
      System.out.println(cpu.table(before, between, after, directTokens, suiteTokens, "token"));
    }
    load.firstErrors.forEach((k, v) -> System.out.println("first error " + k + ": " + v));
    int openAiFailures = openAi == null ? 0 : openAi.errors() + openAi.wrongText();
    System.exit(direct.errors() + suite.errors() + suite.wrongText() + openAiFailures == 0 ? 0 : 1);
  }

  String prompt(int i) {
    return "Benchmark prompt "
        + (i % options.prompts())
        + " [dev:ttft="
        + options.ttftMs()
        + "][dev:delay="
        + options.delayMs()
        + "][dev:tokens="
        + options.tokens()
        + "]";
  }

  private static String messagesJson(String prompt) {
    return "[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(prompt) + "}]";
  }

  void loadExpected() {
    for (int i = 0; i < options.prompts(); i++) {
      String prompt = prompt(i);
      String body =
          "{\"model\":\""
              + MODEL
              + "\",\"stream\":false,\"messages\":"
              + messagesJson(prompt)
              + "}";
      String answer =
          http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
              .post()
              .uri(options.llm() + "/v1/chat/completions")
              .send(ByteBufFlux.fromString(Mono.just(body)))
              .responseSingle((response, content) -> content.asString())
              .block(Duration.ofSeconds(30));
      JsonNode node = JSON.readTree(answer);
      expected.put(prompt, node.path("choices").path(0).path("message").path("content").asString());
    }
    // where each token ends in the answer, from one streamed read of each prompt (all at once)
    Flux.range(0, options.prompts())
        .flatMap(
            i -> {
              List<Integer> ends = new ArrayList<>();
              return completionStream(
                      options.llm(),
                      http,
                      prompt(i),
                      new Marks(new LatencyStats(), new LatencyStats(), new LatencyStats()),
                      ends)
                  .doOnNext(
                      text ->
                          boundaries.put(
                              prompt(i), ends.stream().mapToInt(Integer::intValue).toArray()));
            },
            options.prompts())
        .blockLast(Duration.ofSeconds(60));
  }

  interface StreamRun {
    Mono<String> run(int index, Marks marks);
  }

  /**
   * What one path measures: time to first token, gaps between chunks, and token lag: for every
   * token, its arrival minus when the development LLM's schedule emits it, anchored at the first
   * token's arrival (the LLM emits token k {@code k × delay-ms} after the first), so the lag of the
   * first token is 0 and a token held back by coalescing or a queue shows its wait. A chunk carries
   * the tokens whose ends its accumulated text has reached ({@link #boundaries}).
   */
  record Marks(LatencyStats ttft, LatencyStats gaps, LatencyStats lag) {}

  Result run(String path, StreamRun stream) {
    LatencyStats ttft = new LatencyStats();
    LatencyStats gaps = new LatencyStats();
    LatencyStats lag = new LatencyStats();
    Marks marks = new Marks(ttft, gaps, lag);
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger wrong = new AtomicInteger();
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, options.ramp());
    Flux.range(0, options.streams())
        .delayElements(Duration.ofNanos(intervalNanos))
        .flatMap(
            i ->
                stream
                    .run(i, marks)
                    .doOnNext(
                        text -> {
                          if (!text.equals(expected.get(prompt(i)))) {
                            wrong.incrementAndGet();
                            firstErrors.putIfAbsent(path + " text", text);
                          }
                        })
                    .onErrorResume(
                        e -> {
                          errors.incrementAndGet();
                          firstErrors.putIfAbsent(path, String.valueOf(e));
                          return Mono.empty();
                        }),
            options.streams())
        .blockLast(options.timeout().plusSeconds(options.streams() / Math.max(1, options.ramp())));
    return new Result(path, options.streams(), errors.get(), wrong.get(), ttft, gaps, lag);
  }

  /** One stream straight from the LLM. */
  Mono<String> directStream(int i, Marks marks) {
    return completionStream(options.llm(), http, prompt(i), marks, null);
  }

  /**
   * One stream through the suite's OpenAI-compatible API ({@code POST /v1/chat/completions} with
   * {@code stream: true}): the handshake and ack happen inside the one request.
   */
  Mono<String> openAiStream(int i, Marks marks) {
    String token = DevTokens.issue(options.secret(), "bench-openai-" + i, 3600);
    HttpClient authed = http.headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token));
    return completionStream(options.gateway(), authed, prompt(i), marks, null);
  }

  /**
   * One streamed chat completion from {@code base} (the LLM, or the suite's OpenAI API); {@code
   * ends}, when given, gets the text's length after each token.
   */
  private Mono<String> completionStream(
      String base, HttpClient client, String prompt, Marks marks, List<Integer> ends) {
    String body =
        "{\"model\":\"" + MODEL + "\",\"stream\":true,\"messages\":" + messagesJson(prompt) + "}";
    return Mono.defer(
        () -> {
          long start = System.nanoTime();
          AtomicLong last = new AtomicLong();
          StringBuilder text = new StringBuilder();
          SseEvents events = new SseEvents();
          TokenClock clock = new TokenClock(boundaries.get(prompt), options.delayMs());
          return client
              .headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
              .post()
              .uri(base + "/v1/chat/completions")
              .send(ByteBufFlux.fromString(Mono.just(body)))
              .response(
                  (response, content) ->
                      response.status().code() == 200
                          ? content.asByteArray()
                          : content
                              .aggregate()
                              .asString()
                              .defaultIfEmpty("")
                              .flatMapMany(
                                  problem ->
                                      Flux.<byte[]>error(
                                          new IllegalStateException(
                                              "completions "
                                                  + response.status().code()
                                                  + ": "
                                                  + problem))))
              .concatMapIterable(events::feed)
              .takeUntil(e -> "[DONE]".equals(e.data()))
              .doOnNext(
                  e -> {
                    if ("[DONE]".equals(e.data())) {
                      return;
                    }
                    JsonNode node = JSON.readTree(e.data());
                    if (node.has("error")) {
                      throw new IllegalStateException("LLM error: " + e.data());
                    }
                    String delta =
                        node.path("choices").path(0).path("delta").path("content").asString("");
                    if (!delta.isEmpty()) {
                      mark(start, last, marks.ttft(), marks.gaps());
                      text.append(delta);
                      clock.arrived(text.length(), System.nanoTime(), marks.lag());
                      if (ends != null) {
                        ends.add(text.length());
                      }
                    }
                  })
              .then(Mono.fromSupplier(text::toString));
        });
  }

  /** One stream through the suite: handshake, SSE until done, ack. */
  Mono<String> suiteStream(int i, Marks marks) {
    String user = "bench-" + i;
    String token = DevTokens.issue(options.secret(), user, 3600);
    String body = "{\"model\":\"" + MODEL + "\",\"messages\":" + messagesJson(prompt(i)) + "}";
    HttpClient authed =
        http.headers(
            h ->
                h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
    return Mono.defer(
        () -> {
          long start = System.nanoTime();
          return authed
              .post()
              .uri(options.gateway() + "/v1/chat/handshake")
              .send(ByteBufFlux.fromString(Mono.just(body)))
              .responseSingle(
                  (response, content) ->
                      content
                          .asString()
                          .defaultIfEmpty("")
                          .map(
                              text -> {
                                if (response.status().code() != 202) {
                                  throw new IllegalStateException(
                                      "handshake " + response.status().code() + ": " + text);
                                }
                                return JSON.readTree(text).path("streamId").asString();
                              }))
              .flatMap(streamId -> readStream(authed, streamId, prompt(i), start, marks));
        });
  }

  /** Reconnections of one stream after its connection dropped (its gateway died), at most. */
  static final int MAX_RECONNECTS = 10;

  /** A stream's connection ended (or failed to connect, or got a 5xx) before {@code done}. */
  static final class Dropped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Dropped(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Reads the stream as an EventSource does: when its connection drops before {@code done} (its
   * gateway died), it is read again with {@code Last-Event-ID} after one second, at most {@link
   * #MAX_RECONNECTS} times; a 4xx ends it.
   */
  private Mono<String> readStream(
      HttpClient authed, String streamId, String prompt, long start, Marks marks) {
    AtomicLong last = new AtomicLong();
    TokenClock clock = new TokenClock(boundaries.get(prompt), options.delayMs());
    StringBuilder text = new StringBuilder();
    String[] lastId = {""};
    boolean[] done = {false};
    return Flux.defer(
            () -> {
              SseEvents events = new SseEvents(); // one per connection
              HttpClient resumed =
                  lastId[0].isEmpty()
                      ? authed
                      : authed.headers(h -> h.set("Last-Event-ID", lastId[0]));
              return resumed
                  .get()
                  .uri(options.gateway() + "/v1/chat/stream/" + streamId)
                  .response(
                      (response, body) -> {
                        int code = response.status().code();
                        if (code != 200) {
                          return body.aggregate()
                              .asString()
                              .defaultIfEmpty("")
                              .flatMap(
                                  problem ->
                                      Mono.<byte[]>error(
                                          code >= 500
                                              ? new Dropped("stream " + code)
                                              : new IllegalStateException(
                                                  "stream " + code + ": " + problem)));
                        }
                        return body.asByteArray();
                      })
                  .onErrorMap(e -> e instanceof IOException, e -> new Dropped(e.toString()))
                  .concatMapIterable(events::feed)
                  .concatWith(
                      Mono.defer(
                          () ->
                              done[0]
                                  ? Mono.empty()
                                  : Mono.error(new Dropped("the stream ended before done"))));
            })
        .retryWhen(
            Retry.fixedDelay(MAX_RECONNECTS, Duration.ofSeconds(1))
                .filter(e -> e instanceof Dropped)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
        .takeUntil(e -> e.name().equals("done"))
        .doOnNext(
            e -> {
              switch (e.name()) {
                case "chunk" -> {
                  mark(start, last, marks.ttft(), marks.gaps());
                  text.append(JSON.readTree(e.data()).path("delta").asString(""));
                  clock.arrived(text.length(), System.nanoTime(), marks.lag());
                  lastId[0] = e.id();
                }
                case "reset" -> {
                  text.setLength(0);
                  clock.reset();
                }
                case "done" -> done[0] = true;
                default -> {
                  // an answer of only "retry:" and a comment (a gateway that is gone and not yet
                  // replaced: come back) carries no data; the stream ends and is read again
                  if (!e.data().isEmpty()) {
                    throw new IllegalStateException(e.name() + ": " + e.data());
                  }
                }
              }
            })
        .then(
            Mono.defer(
                () ->
                    authed
                        .post()
                        .uri(options.gateway() + "/v1/chat/ack/" + streamId)
                        .send(
                            ByteBufFlux.fromString(
                                Mono.just("{\"lastEventId\":\"" + lastId[0] + "\"}")))
                        .responseSingle(
                            (response, content) -> {
                              if (response.status().code() != 204) {
                                return Mono.error(
                                    new IllegalStateException("ack " + response.status().code()));
                              }
                              return Mono.just(text.toString());
                            })));
  }

  private static void mark(long start, AtomicLong last, LatencyStats ttft, LatencyStats gaps) {
    long now = System.nanoTime();
    long previous = last.getAndSet(now);
    if (previous == 0) {
      ttft.recordNanos(now - start);
    } else {
      gaps.recordNanos(now - previous);
    }
  }

  /**
   * Holds N streams whose answers do not start, and reports the gateway heap per stream: over all N
   * (from the heap before the first), and over the second half alone (from the heap with the first
   * half open), which leaves out what the gateway allocates once on first use (caches, pools,
   * lazily built parts) and so is the cost of one more stream.
   */
  void idleHeap() throws IOException, InterruptedException {
    if (options.gatewayPid() <= 0) {
      throw new IllegalArgumentException("--mode=idle needs --gateway-pid=<pid of the gateway>");
    }
    long before = liveHeap(options.gatewayPid());
    List<reactor.core.Disposable> open = new ArrayList<>();
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    int half = options.streams() / 2;
    openIdle(0, half, open, opened, failed);
    long middle = liveHeap(options.gatewayPid());
    int atMiddle = opened.get();
    openIdle(half, options.streams(), open, opened, failed);
    long after = liveHeap(options.gatewayPid());
    System.out.printf(
        Locale.ROOT,
        "idle streams: %d open, %d failed; gateway live heap %d -> %d -> %d bytes: %.1f KB per"
            + " stream over all, %.1f KB per stream of the second half%n",
        opened.get(),
        failed.get(),
        before,
        middle,
        after,
        (after - before) / 1024.0 / Math.max(1, opened.get()),
        (after - middle) / 1024.0 / Math.max(1, opened.get() - atMiddle));
    open.forEach(reactor.core.Disposable::dispose);
  }

  /** Opens the idle streams numbered {@code from} (inclusive) to {@code to} and waits for them. */
  private void openIdle(
      int from,
      int to,
      List<reactor.core.Disposable> open,
      AtomicInteger opened,
      AtomicInteger failed)
      throws InterruptedException {
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, options.ramp());
    for (int i = from; i < to; i++) {
      String user = options.users() + i;
      String token = DevTokens.issue(options.secret(), user, 3600);
      String body =
          "{\"model\":\""
              + MODEL
              + "\",\"messages\":"
              + messagesJson("idle [dev:ttft=600000]")
              + "}";
      HttpClient authed =
          http.headers(
              h ->
                  h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                      .set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
      open.add(
          authed
              .post()
              .uri(options.gateway() + "/v1/chat/handshake")
              .send(ByteBufFlux.fromString(Mono.just(body)))
              .responseSingle((r, c) -> c.asString())
              .map(text -> JSON.readTree(text).path("streamId").asString())
              .flatMapMany(
                  id ->
                      authed
                          .get()
                          .uri(options.gateway() + "/v1/chat/stream/" + id)
                          .responseContent()
                          .asString()
                          .doOnSubscribe(s -> opened.incrementAndGet()))
              .subscribe(x -> {}, e -> failed.incrementAndGet()));
      TimeUnit.NANOSECONDS.sleep(intervalNanos); // pacing of the ramp, not a wait for a condition
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (opened.get() + failed.get() < to && System.nanoTime() < deadline) {
      TimeUnit.MILLISECONDS.sleep(100); // bounded poll of the counters above
    }
  }

  /** Live heap after a full GC, from {@code jcmd GC.heap_info} (sum of the "used" figures). */
  static long liveHeap(long pid) throws IOException, InterruptedException {
    run("jcmd", Long.toString(pid), "GC.run");
    String info = run("jcmd", Long.toString(pid), "GC.heap_info");
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(info);
    if (!m.find()) {
      throw new IllegalStateException("no heap figure in jcmd output:\n" + info);
    }
    return Long.parseLong(m.group(1)) * 1024;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("timed out: " + String.join(" ", command));
    }
    return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }
}
