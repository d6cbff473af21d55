package io.jindouyun.bench;

import io.netty.handler.codec.http.HttpHeaderNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.util.retry.Retry;
import tools.jackson.databind.json.JsonMapper;

/**
 * The chaos bench's load: chats through the edge at a steady rate while bench/chaos/run.sh kills
 * and restarts the suite's components, each chat judged ({@link ChaosOutcome}) and written with its
 * start time so that the report ({@code --mode=chaos-report}, {@link ChaosReport}) can split them
 * by fault.
 *
 * <pre>
 * java -jar bench/target/bench-*-exec.jar --mode=chaos --door=http://127.0.0.1:8080 \
 *     --chats=2000 --rate=4 --out=chats.jsonl [--ready-file=FILE] [--stop-file=FILE]
 *     [--max-in-flight=400] [--max-reconnects=30] [--timeout-s=120]
 * java -jar bench/target/bench-*-exec.jar --mode=chaos-report --chats-file=chats.jsonl \
 *     --faults=faults.txt --out-dir=DIR [--lead-ms=3000] [--settle-ms=5000] [--after-ms=0]
 * </pre>
 *
 * <p>A stream that drops before {@code done} is read again with {@code Last-Event-ID} (as an
 * EventSource does) after one second, at most {@code --max-reconnects} times. Chats start on the
 * calling thread at the rate's times and stop early when the stop file exists; they complete on
 * Reactor Netty's event loops, which add their records to a synchronized list. At most {@code
 * --max-in-flight} run at once: an arrival beyond that is a failed handshake, not queued.
 */
final class ChaosBench {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  private final HttpClient http;
  private final Map<String, String> options;
  private final String door;
  private final String secret;
  private final int maxInFlight;
  private final int maxReconnects;
  private final Duration chatTimeout;
  private final Map<String, String> expected = new HashMap<>();

  private ChaosBench(Map<String, String> options) {
    this.options = options;
    this.door = options.getOrDefault("door", "http://127.0.0.1:8080");
    this.secret =
        options.getOrDefault(
            "secret",
            System.getenv()
                .getOrDefault(
                    "JINDOUYUN_JWT_SECRET", "jindouyun-dev-secret-change-me-0123456789abcdef"));
    this.maxInFlight = Integer.parseInt(options.getOrDefault("max-in-flight", "400"));
    this.maxReconnects = Integer.parseInt(options.getOrDefault("max-reconnects", "30"));
    this.chatTimeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("timeout-s", "120")));
    ConnectionProvider pool =
        ConnectionProvider.builder("chaos-bench")
            .maxConnections(maxInFlight * 2 + 16)
            .pendingAcquireMaxCount(maxInFlight * 4 + 16)
            .pendingAcquireTimeout(chatTimeout)
            .build();
    this.http = HttpClient.create(pool).responseTimeout(Duration.ofSeconds(30));
  }

  static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      if (!arg.startsWith("--") || !arg.contains("=")) {
        throw new IllegalArgumentException("arguments are --name=value, got: " + arg);
      }
      options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    }
    if ("chaos-report".equals(options.get("mode"))) {
      report(options);
    } else {
      new ChaosBench(options).load();
    }
  }

  private String prompt(int i) {
    return "Chaos prompt "
        + (i % Integer.parseInt(options.getOrDefault("prompts", "16")))
        + " [dev:ttft="
        + options.getOrDefault("ttft-ms", "100")
        + "][dev:delay="
        + options.getOrDefault("delay-ms", "25")
        + "][dev:tokens="
        + options.getOrDefault("tokens", "40")
        + "]";
  }

  private void load() throws IOException, InterruptedException {
    int total = Integer.parseInt(options.getOrDefault("chats", "2000"));
    double rate = Double.parseDouble(options.getOrDefault("rate", "4"));
    Path out = Path.of(options.getOrDefault("out", "chats.jsonl"));
    Path stopFile = options.containsKey("stop-file") ? Path.of(options.get("stop-file")) : null;
    loadExpected(options.getOrDefault("llm", "http://127.0.0.1:8099"));
    if (options.containsKey("ready-file")) { // the script's faults wait for the first chat
      Files.writeString(Path.of(options.get("ready-file")), "ready\n", StandardCharsets.UTF_8);
    }
    List<ChaosChat> chats = Collections.synchronizedList(new ArrayList<>(total));
    AtomicInteger inFlight = new AtomicInteger();
    CountDownLatch done = new CountDownLatch(total);
    long intervalNanos = (long) (1e9 / rate);
    long base = System.nanoTime();
    int started = 0;
    for (int i = 0; i < total; i++) {
      if (stopFile != null && Files.exists(stopFile)) {
        break;
      }
      long wait;
      while ((wait = base + i * intervalNanos - System.nanoTime()) > 0) {
        LockSupport.parkNanos(wait); // pacing the steady rate, not waiting for a condition
      }
      started++;
      long startMs = System.currentTimeMillis();
      if (inFlight.incrementAndGet() > maxInFlight) {
        inFlight.decrementAndGet();
        chats.add(
            new ChaosChat(
                i, startMs, ChaosOutcome.FAILED_HANDSHAKE, -1, 0, "more than max-in-flight"));
        done.countDown();
        continue;
      }
      chat(i, startMs)
          .subscribe(
              chat -> {
                chats.add(chat);
                inFlight.decrementAndGet();
                done.countDown();
              });
      if (i % 100 == 99) {
        System.out.printf("chaos bench: %d chats started, %d in flight%n", i + 1, inFlight.get());
      }
    }
    for (int i = started; i < total; i++) {
      done.countDown(); // never started
    }
    if (!done.await(chatTimeout.toSeconds() + 10, TimeUnit.SECONDS)) {
      System.out.println("chaos bench: " + done.getCount() + " chats had not ended in time");
    }
    List<ChaosChat> copy;
    synchronized (chats) {
      copy = new ArrayList<>(chats);
    }
    copy.sort(Comparator.comparingInt(ChaosChat::index));
    StringBuilder lines = new StringBuilder();
    for (ChaosChat chat : copy) {
      lines.append(JSON.writeValueAsString(chat)).append('\n');
    }
    Files.writeString(out, lines.toString(), StandardCharsets.UTF_8);
    System.out.printf("chaos bench: %d chats written to %s%n", copy.size(), out);
  }

  /** Asks the LLM once, non-streaming, for each prompt's exact answer. */
  private void loadExpected(String llm) {
    int prompts = Integer.parseInt(options.getOrDefault("prompts", "16"));
    for (int i = 0; i < prompts; i++) {
      String body =
          "{\"model\":\""
              + StreamLoad.MODEL
              + "\",\"stream\":false,\"messages\":"
              + messagesJson(prompt(i))
              + "}";
      String answer =
          http.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
              .post()
              .uri(llm + "/v1/chat/completions")
              .send(ByteBufFlux.fromString(Mono.just(body)))
              .responseSingle((response, content) -> content.asString())
              .block(Duration.ofSeconds(30));
      expected.put(
          prompt(i),
          JSON.readTree(answer).path("choices").path(0).path("message").path("content").asString());
    }
  }

  /** What one chat's stream saw; touched by one connection at a time. */
  private static final class Seen {
    final StringBuilder text = new StringBuilder();
    final Set<String> ids = new HashSet<>();
    String lastId = "";
    boolean repeatedId;
    boolean done;
    long ttftNanos = -1;
    int reconnects = -1;
  }

  /** One chat; never fails: a failure is a record with its outcome. */
  private Mono<ChaosChat> chat(int index, long startMs) {
    long start = System.nanoTime();
    String token = DevTokens.issue(secret, "chaos-" + index, 3600);
    String prompt = prompt(index);
    String body =
        "{\"model\":\"" + StreamLoad.MODEL + "\",\"messages\":" + messagesJson(prompt) + "}";
    HttpClient authed =
        http.headers(
            h ->
                h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token)
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
    Seen seen = new Seen();
    boolean[] accepted = {false};
    return authed
        .post()
        .uri(door + "/v1/chat/handshake")
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
                          accepted[0] = true;
                          return JSON.readTree(text).path("streamId").asString();
                        }))
        .flatMap(streamId -> readStream(authed, streamId, start, seen))
        .timeout(chatTimeout)
        .map(
            text ->
                new ChaosChat(
                    index,
                    startMs,
                    ChaosOutcome.ofDone(text, expected.get(prompt), seen.repeatedId),
                    millis(seen.ttftNanos),
                    Math.max(0, seen.reconnects),
                    null))
        .onErrorResume(
            e ->
                Mono.just(
                    new ChaosChat(
                        index,
                        startMs,
                        accepted[0] ? ChaosOutcome.LOST : ChaosOutcome.FAILED_HANDSHAKE,
                        millis(seen.ttftNanos),
                        Math.max(0, seen.reconnects),
                        String.valueOf(e))));
  }

  private static double millis(long nanos) {
    return nanos < 0 ? -1 : nanos / 1e6;
  }

  /** Reads the stream until done, again with Last-Event-ID when it drops; then acks it. */
  private Mono<String> readStream(HttpClient authed, String streamId, long start, Seen seen) {
    return Flux.defer(
            () -> {
              seen.reconnects++;
              SseEvents events = new SseEvents(); // one per connection
              HttpClient resumed =
                  seen.lastId.isEmpty()
                      ? authed
                      : authed.headers(h -> h.set("Last-Event-ID", seen.lastId));
              return resumed
                  .get()
                  .uri(door + "/v1/chat/stream/" + streamId)
                  .response(
                      (response, content) -> {
                        int code = response.status().code();
                        if (code != 200) {
                          return content
                              .aggregate()
                              .asString()
                              .defaultIfEmpty("")
                              .flatMap(
                                  problem ->
                                      Mono.<byte[]>error(
                                          code >= 500
                                              ? new StreamLoad.Dropped("stream " + code)
                                              : new IllegalStateException(
                                                  "stream " + code + ": " + problem)));
                        }
                        return content.asByteArray();
                      })
                  .onErrorMap(
                      e -> e instanceof IOException, e -> new StreamLoad.Dropped(e.toString()))
                  .concatMapIterable(events::feed)
                  .concatWith(
                      Mono.defer(
                          () ->
                              seen.done
                                  ? Mono.empty()
                                  : Mono.error(
                                      new StreamLoad.Dropped("the stream ended before done"))));
            })
        .retryWhen(
            Retry.fixedDelay(maxReconnects, Duration.ofSeconds(1))
                .filter(e -> e instanceof StreamLoad.Dropped)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
        .takeUntil(e -> e.name().equals("done"))
        .doOnNext(
            e -> {
              switch (e.name()) {
                case "chunk" -> {
                  if (seen.ttftNanos < 0) {
                    seen.ttftNanos = System.nanoTime() - start;
                  }
                  if (e.id() != null && !e.id().isEmpty() && !seen.ids.add(e.id())) {
                    seen.repeatedId = true;
                  }
                  seen.text.append(JSON.readTree(e.data()).path("delta").asString(""));
                  seen.lastId = e.id() == null ? seen.lastId : e.id();
                }
                case "reset" -> {
                  seen.text.setLength(0);
                  seen.ids.clear();
                }
                case "done" -> seen.done = true;
                case "error" -> throw new IllegalStateException("error: " + e.data());
                default -> {
                  // another event (e.g. the edge's "gone and not yet replaced; come back" before
                  // it closes the response): the stream is read again after it ends
                }
              }
            })
        .then(
            Mono.defer(
                () ->
                    authed
                        .post()
                        .uri(door + "/v1/chat/ack/" + streamId)
                        .send(
                            ByteBufFlux.fromString(
                                Mono.just("{\"lastEventId\":\"" + seen.lastId + "\"}")))
                        .responseSingle(
                            (response, content) ->
                                // the answer is complete at done: an ack that fails (its
                                // gateway just died) loses nothing the user sees
                                Mono.just(seen.text.toString()))));
  }

  /** Reads the chats and the faults, writes report.md and report.json into --out-dir. */
  private static void report(Map<String, String> options) throws IOException {
    List<ChaosChat> chats = new ArrayList<>();
    for (String line : Files.readAllLines(Path.of(options.get("chats-file")))) {
      if (!line.isBlank()) {
        chats.add(JSON.readValue(line, ChaosChat.class));
      }
    }
    List<ChaosReport.Fault> faults =
        ChaosReport.Fault.parse(Files.readAllLines(Path.of(options.get("faults"))));
    long lead = Long.parseLong(options.getOrDefault("lead-ms", "3000"));
    long settle = Long.parseLong(options.getOrDefault("settle-ms", "5000"));
    long after = Long.parseLong(options.getOrDefault("after-ms", "0"));
    List<ChaosReport.Row> rows = ChaosReport.rows(chats, faults, lead, settle, after);
    Path dir = Path.of(options.getOrDefault("out-dir", "."));
    String table = ChaosReport.markdown(rows);
    Files.writeString(dir.resolve("report.md"), table, StandardCharsets.UTF_8);
    List<Map<String, Object>> json = new ArrayList<>();
    for (ChaosReport.Row row : rows) {
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("window", row.window());
      entry.put("fromMs", row.fromMs());
      entry.put("toMs", row.toMs());
      entry.put("chats", row.chats());
      for (ChaosOutcome outcome : ChaosOutcome.values()) {
        entry.put(outcome.name().toLowerCase(java.util.Locale.ROOT), row.count(outcome));
      }
      entry.put("readAgain", row.reconnected());
      entry.put("ttftP99Ms", Double.isNaN(row.ttftP99Ms()) ? null : row.ttftP99Ms());
      entry.put("failingFromMs", row.failingFromMs() < 0 ? null : row.failingFromMs());
      entry.put("failingToMs", row.failingToMs() < 0 ? null : row.failingToMs());
      json.add(entry);
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("faults", faults);
    doc.put("leadMs", lead);
    doc.put("settleMs", settle);
    doc.put("afterMs", after);
    doc.put("rows", json);
    Files.writeString(
        dir.resolve("report.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc),
        StandardCharsets.UTF_8);
    System.out.print(table);
    for (ChaosChat chat : chats) {
      if (chat.error() != null && chat.outcome() != ChaosOutcome.EXACT) {
        System.out.printf(
            "chat %d (%s, started %d): %s%n",
            chat.index(), chat.outcome(), chat.startMs(), chat.error());
      }
    }
  }

  private static String messagesJson(String prompt) {
    return "[{\"role\":\"user\",\"content\":" + JSON.writeValueAsString(prompt) + "}]";
  }
}
