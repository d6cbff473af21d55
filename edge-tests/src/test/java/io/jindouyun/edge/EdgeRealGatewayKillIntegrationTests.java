package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 15, item 2 "a stream survives its gateway", through the edge on the real pipeline: etcd,
 * Kafka, ipconfig-service, two stream-gateways (a short claim lease), an llm-consumer and the
 * development LLM (exec jars, each its own JVM) behind nginx with the real configuration.
 *
 * <p>Many chats, one user each, are opened and read through the edge by readers that behave as an
 * EventSource (they come back with {@code Last-Event-ID} after a dropped connection or a {@code
 * retry:}). Mid-answer the gateway owning most of them is SIGKILLed. The edge cannot reach the
 * owner of those streams and tries another gateway, which tells the reader to come back while the
 * owner's lease still stands and, once the survivor has taken the reply partition over, proxies it
 * there (or is the survivor). Every chat must complete with the exact text, no event id twice, no
 * {@code reset}, and the development LLM must have seen exactly one call per chat.
 */
@Timeout(300)
class EdgeRealGatewayKillIntegrationTests {

  private static final int CHATS = 200;
  private static final Duration LEASE_TTL = Duration.ofSeconds(3);

  /** About 18 s of tokens: time to open every chat, kill mid-answer and resume before the end. */
  private static final String PROMPT = "Tell me of the cloud [dev:tokens=300] [dev:delay=60]";

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static final List<JavaService> services = new ArrayList<>();
  static final Map<String, JavaService> gateways = new LinkedHashMap<>();
  static int llmPort;

  @BeforeAll
  static void start() {
    RealSuite.createTopics(kafka);
    llmPort = FreePorts.next();
    services.add(JavaService.start("dev-llm", "dev-llm", Map.of(), List.of("--port=" + llmPort)));
    int ipconfigPort = FreePorts.next();
    services.add(RealSuite.startIpconfig(ipconfigPort, etcd));
    StringBuilder statics = new StringBuilder();
    for (int i = 1; i <= 2; i++) {
      int port = FreePorts.next();
      String id = "gw-" + i;
      JavaService gateway =
          RealSuite.startGateway(
              id,
              port,
              etcd,
              kafka,
              "--jindouyun.gateway.kafka.claim-lease-ttl=" + LEASE_TTL.toSeconds() + "s");
      gateways.put(id, gateway);
      services.add(gateway);
      statics.append(i == 1 ? "" : " ").append(id).append("=127.0.0.1:").append(port);
    }
    services.add(
        RealSuite.startConsumer(
            etcd,
            kafka,
            "http://127.0.0.1:" + llmPort,
            // every chat runs at once (two job consumers, 64 each by default)
            "--jindouyun.consumer.max-in-progress=" + CHATS));
    RealSuite.awaitRegistered(services, ipconfigPort, "gw-1", "gw-2");
    RealSuite.startEdge(
        nginx,
        new EdgeConf()
            .ipconfig("http://127.0.0.1:" + ipconfigPort)
            .staticGateways(statics.toString())
            .set("poll_wait", "5"));
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    services.forEach(JavaService::close);
  }

  private static long llmRequests() throws Exception {
    HttpResponse<String> stats =
        RealSuite.http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + llmPort + "/stats"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return EdgeClient.JSON.readTree(stats.body()).path("requests").asLong();
  }

  private static String expectedAnswer() throws Exception {
    HttpResponse<String> answer =
        RealSuite.http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + llmPort + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"jdy-dev-1\",\"messages\":[{\"role\":\"user\",\"content\":\""
                            + PROMPT
                            + "\"}]}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return EdgeClient.JSON
        .readTree(answer.body())
        .path("choices")
        .path(0)
        .path("message")
        .path("content")
        .asString();
  }

  private static long chunks(ResumingReader reader) {
    return reader.events.stream().filter(e -> e.name().equals("chunk")).count();
  }

  @Test
  void everyChatOfAKilledGatewayCompletesThroughTheEdgeWithTheExactTextAndNoDuplicate()
      throws Exception {
    String expected = expectedAnswer();
    long requestsBefore = llmRequests();
    Map<String, ResumingReader> readers = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(CHATS);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < CHATS; i++) {
        String user = "survive-" + i;
        runs.add(
            pool.submit(
                () -> {
                  HttpResponse<String> handshake = RealSuite.handshake(nginx.port(), user, PROMPT);
                  assertThat(handshake.statusCode()).as(handshake.body()).isEqualTo(202);
                  String streamId = RealSuite.streamId(handshake);
                  ResumingReader reader =
                      new ResumingReader(
                          RealSuite.http,
                          URI.create(
                              "http://127.0.0.1:" + nginx.port() + "/v1/chat/stream/" + streamId),
                          "Bearer " + RealSuite.jwt(user),
                          30);
                  readers.put(streamId, reader);
                  reader.run();
                  return null;
                }));
      }
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () ->
                  readers.size() == CHATS
                      && readers.values().stream().allMatch(r -> chunks(r) >= 2));
      Map<String, Long> owned =
          readers.keySet().stream()
              .collect(
                  Collectors.groupingBy(
                      id -> id.substring(0, id.indexOf('~')), Collectors.counting()));
      String victim =
          owned.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
      assertThat(readers.values().stream().map(ResumingReader::terminal).toList())
          .as("every answer must still be streaming at the kill")
          .containsOnlyNulls();

      gateways.get(victim).kill();
      long killedAt = System.nanoTime();

      for (Future<?> run : runs) {
        run.get(LEASE_TTL.plusSeconds(60).toSeconds(), TimeUnit.SECONDS);
      }
      System.out.printf(
          "SIGKILL of %s owning %d of %d chats mid-answer: all ended %d ms after the kill%n",
          victim,
          owned.get(victim),
          CHATS,
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));

      Map<String, String> wrong = new LinkedHashMap<>();
      for (Map.Entry<String, ResumingReader> entry : readers.entrySet()) {
        ResumingReader reader = entry.getValue();
        assertThat(reader.terminal()).as("%s: %s", entry.getKey(), reader.statuses).isNotNull();
        assertThat(reader.terminal().name()).as(entry.getKey()).isEqualTo("done");
        List<String> ids =
            reader.events.stream().filter(e -> e.name().equals("chunk")).map(e -> e.id()).toList();
        assertThat(ids).as("event ids of %s", entry.getKey()).doesNotHaveDuplicates();
        assertThat(reader.events).noneMatch(e -> e.name().equals("reset"));
        if (!reader.text().equals(expected)) {
          wrong.put(entry.getKey(), reader.text());
        }
      }
      assertThat(wrong).as("chats whose text is not the answer").isEmpty();
      assertThat(llmRequests())
          .as("calls to the development LLM")
          .isEqualTo(requestsBefore + CHATS);
      System.out.printf(
          "connections per chat of %s: %s%n",
          victim,
          readers.entrySet().stream()
              .filter(e -> e.getKey().startsWith(victim + "~"))
              .map(e -> e.getValue().statuses.toString())
              .collect(Collectors.joining(" ")));
    } finally {
      pool.shutdownNow();
    }
  }
}
