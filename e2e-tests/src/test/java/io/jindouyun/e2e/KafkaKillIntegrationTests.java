package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.answer;
import static io.jindouyun.e2e.Chats.bearer;
import static io.jindouyun.e2e.Chats.terminal;
import static io.jindouyun.e2e.Chats.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaProcessExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;

/**
 * Issue 15, "nothing lost under faults", for the one broker of a development set-up: chats are
 * opened at a steady rate while the Kafka broker (its own JVM) is SIGKILLed and started again on
 * the same data. A handshake may fail while the broker is down (503: nothing was accepted), but
 * every handshake that was answered 202 must end in {@code done} with exactly the development LLM's
 * text: a job acknowledged by the broker in the instant it died is still there when it comes back,
 * and so are the replies the consumer sent meanwhile (its producer retries them).
 */
@Timeout(240)
class KafkaKillIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaProcessExtension kafka = new KafkaProcessExtension();

  static final Duration WAIT = Duration.ofSeconds(60);

  /** About 1.5 s of tokens: many answers are mid-stream at the kill. */
  static final String PROMPT = "Tell me of the rain [dev:tokens=30] [dev:delay=50]";

  /** Chats opened, one every {@link #EVERY} (fewer when handshakes are slow). */
  static final int CHATS = 60;

  static final Duration EVERY = Duration.ofMillis(150);

  static DevLlmServer llm;
  static final List<JavaService> services = new ArrayList<>();
  static WebClient http;

  @BeforeAll
  static void start() {
    kafka.createTopics(2, "chat.jobs", "chat.replies");
    kafka.createTopics(1, "chat.control", "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    int gatewayPort = FreePorts.next();
    services.add(
        JavaService.startGateway(
            "gw-kk", gatewayPort, etcd.endpoint(), kafka.bootstrapServers(), Map.of()));
    services.add(
        JavaService.start(
            "consumer-kk",
            "llm-consumer",
            Map.of(),
            List.of(
                "--server.port=" + FreePorts.next(),
                "--jindouyun.instance.id=consumer-kk",
                "--jindouyun.metrics.grpc-port=" + FreePorts.next(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers())));
    http = WebClient.create("http://127.0.0.1:" + gatewayPort);
    Chats chats = new Chats(http);
    // the pipeline answers (the consumer has joined its group) before the chats start
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              Chats.Handshake warm = chats.handshake("warm", "hi");
              return "done"
                  .equals(terminal(chats.readUntilTerminal("warm", warm.streamId())).event());
            });
  }

  @AfterAll
  static void stop() {
    services.forEach(JavaService::close);
    if (llm != null) {
      llm.close();
    }
  }

  /** A handshake's status and, when 202, its stream id. */
  private static Map.Entry<Integer, String> handshake(String user) {
    return http.post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(Chats.conversation(PROMPT))
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(JsonNode.class)
                    .map(body -> body.path("streamId").asString(""))
                    .defaultIfEmpty("")
                    .map(id -> Map.entry(response.statusCode().value(), id)))
        .onErrorResume(e -> Mono.just(Map.entry(-1, "")))
        .block(WAIT);
  }

  @Test
  void everyChatAcceptedAroundABrokerKillEndsWithTheExactText() throws Exception {
    String expected = answer(llm.baseUrl(), PROMPT);
    Map<String, List<ServerSentEvent<String>>> accepted = new ConcurrentHashMap<>();
    Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    List<Disposable> readers = new CopyOnWriteArrayList<>();
    AtomicInteger refused = new AtomicInteger();
    Chats chats = new Chats(http);
    long startNanos = System.nanoTime();
    AtomicLong killedAtNanos = new AtomicLong(-1);
    ScheduledExecutorService faults = Executors.newSingleThreadScheduledExecutor();
    try {
      ScheduledFuture<?> kill =
          faults.schedule(
              () -> {
                kafka.kill();
                killedAtNanos.set(System.nanoTime());
              },
              2,
              TimeUnit.SECONDS);
      ScheduledFuture<?> restart = faults.schedule(kafka::restart, 4, TimeUnit.SECONDS);
      // open-loop: a chat every EVERY (a tick that comes while a handshake still waits is dropped)
      Flux.interval(Duration.ZERO, EVERY)
          .onBackpressureDrop()
          .take(CHATS)
          .concatMap(
              i ->
                  Mono.fromRunnable(
                          () -> {
                            String user = "kk-" + i;
                            Map.Entry<Integer, String> shook = handshake(user);
                            if (shook.getKey() == 202) {
                              List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
                              String chat = user + " " + shook.getValue();
                              accepted.put(chat, events);
                              acceptedAt.put(chat, System.nanoTime() - startNanos);
                              readers.add(chats.read(user, shook.getValue(), events));
                            } else {
                              assertThat(shook.getKey())
                                  .as("a refused handshake's status")
                                  .isIn(503, -1);
                              refused.incrementAndGet();
                            }
                          })
                      .subscribeOn(Schedulers.boundedElastic()),
              1)
          .blockLast(Duration.ofSeconds(120));
      kill.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      restart.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(200))
          .until(() -> accepted.values().stream().allMatch(e -> terminal(e) != null));
    } finally {
      faults.shutdownNow();
      readers.forEach(Disposable::dispose);
    }
    long killedMs = (killedAtNanos.get() - startNanos) / 1_000_000;
    System.out.printf(
        "broker SIGKILLed at %d ms and started again 2 s later: %d chats accepted, %d refused,"
            + " %d restarted (reset); all ended %d ms after the start%n",
        killedMs,
        accepted.size(),
        refused.get(),
        accepted.values().stream().filter(e -> resets(e) > 0).count(),
        (System.nanoTime() - startNanos) / 1_000_000);
    Map<String, String> wrong = new LinkedHashMap<>();
    accepted.forEach(
        (chat, events) -> {
          ServerSentEvent<String> end = terminal(events);
          String answer = text(afterLastReset(events));
          if (!"done".equals(end.event()) || !expected.equals(answer)) {
            wrong.put(
                chat + " (accepted at " + acceptedAt.get(chat) / 1_000_000 + " ms)",
                end.event() + " " + end.data() + " after " + resets(events) + " resets: " + answer);
          }
        });
    assertThat(wrong).as("accepted chats that did not end with the exact text").isEmpty();
    assertThat(accepted.size()).as("chats accepted").isGreaterThan(CHATS / 2);
  }

  /**
   * The events after the last {@code reset} (the job was restarted after a rebalance: the reader
   * drops what it had, as the protocol says).
   */
  private static List<ServerSentEvent<String>> afterLastReset(
      List<ServerSentEvent<String>> events) {
    int last = -1;
    for (int i = 0; i < events.size(); i++) {
      if ("reset".equals(events.get(i).event())) {
        last = i;
      }
    }
    return events.subList(last + 1, events.size());
  }

  private static long resets(List<ServerSentEvent<String>> events) {
    return events.stream().filter(e -> "reset".equals(e.event())).count();
  }
}
