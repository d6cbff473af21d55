package io.jindouyun.e2e;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.PrometheusServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;

/**
 * The metrics plane with real parts: etcd, Kafka, the development LLM and an llm-consumer (in this
 * JVM), two stream-gateways and the exporter (their exec jars, each its own JVM) and a real
 * Prometheus scraping the exporter. Chats through the gateways move the active-streams figure in
 * etcd; a SIGKILLed gateway loses its instance key, its metrics key and its series.
 *
 * <p>The tests run in order and share the processes: the last one kills gateway {@code gw-b}.
 */
@Timeout(120)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsPlaneIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  /** The exporter's interval: metrics keys are written (and may appear) once per interval. */
  static final Duration INTERVAL = Duration.ofSeconds(1);

  /** The gateways' registration lease TTL. */
  static final Duration TTL = Duration.ofSeconds(2);

  static final Duration WAIT = Duration.ofSeconds(30);
  static final List<String> GATEWAYS = List.of("gw-a", "gw-b");
  static final String INSTANCES = EtcdKeys.DEFAULT.instancesPrefix() + "stream-gateway/";
  static final String METRICS = EtcdKeys.DEFAULT.metricsPrefix() + "stream-gateway/";
  static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  static final List<AutoCloseable> closeLast = new ArrayList<>();
  static final Map<String, JavaService> gateways = new LinkedHashMap<>();
  static final Map<String, WebClient> clients = new LinkedHashMap<>();
  static JavaService exporter;
  static int exporterPort;
  static PrometheusServer prometheus;
  @TempDir static Path dir;

  @BeforeAll
  static void start() throws Exception {
    kafka.createTopics(3, "chat.jobs", "chat.control");
    kafka.createTopics(4, "chat.replies");
    kafka.createTopics(1, "chat.jobs-dlt");

    exporterPort = FreePorts.next();
    exporter =
        JavaService.start(
            "exporter",
            "exporter-service",
            Map.of(),
            List.of(
                "--server.port=" + exporterPort,
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.exporter.interval=" + INTERVAL.toMillis() + "ms",
                "--jindouyun.exporter.lease-ttl=3s"));
    closeLast.add(exporter);
    // while the exporter JVM boots: the LLM and a consumer in this JVM
    DevLlmServer llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    closeLast.add(llm::close);
    ConfigurableApplicationContext consumer =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/consumer.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint());
    closeLast.add(consumer::close);
    // the exporter leads before the gateways register, so key latency is the exporter's alone
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              assertThat(exporter.isAlive()).withFailMessage(exporter::tail).isTrue();
              assertThat(keys(EtcdKeys.DEFAULT.root() + "exporter/leader")).isNotEmpty();
            });
    prometheus = PrometheusServer.start(dir, exporterPort);
    closeLast.add(prometheus);

    for (String id : GATEWAYS) {
      int port = FreePorts.next();
      gateways.put(
          id,
          JavaService.startGateway(
              id,
              port,
              etcd,
              kafka,
              Map.of(),
              "--jindouyun.registration.ttl=" + TTL.toSeconds() + "s"));
      clients.put(id, WebClient.create("http://127.0.0.1:" + port));
    }
  }

  @AfterAll
  static void stop() {
    gateways.values().forEach(JavaService::close);
    for (int i = closeLast.size() - 1; i >= 0; i--) {
      try {
        closeLast.get(i).close();
      } catch (Exception e) {
        // best effort: the next one still closes
      }
    }
  }

  @Test
  @Order(1)
  void bothMetricsKeysAppearWithinTwoIntervalsOfTheirInstanceKeys() throws Exception {
    Map<String, Long> registeredAt = new LinkedHashMap<>();
    Map<String, Long> publishedAt = new LinkedHashMap<>();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> {
              gateways
                  .values()
                  .forEach(g -> assertThat(g.isAlive()).withFailMessage(g::tail).isTrue());
              long now = System.nanoTime();
              for (String id : GATEWAYS) {
                if (!keys(INSTANCES + id).isEmpty()) {
                  registeredAt.putIfAbsent(id, now);
                }
                if (!keys(METRICS + id).isEmpty()) {
                  publishedAt.putIfAbsent(id, now);
                }
              }
              assertThat(publishedAt).containsOnlyKeys(GATEWAYS);
            });
    for (String id : GATEWAYS) {
      Duration latency = Duration.ofNanos(publishedAt.get(id) - registeredAt.get(id));
      System.out.printf(
          "metrics key of %s appeared %d ms after its instance key%n", id, latency.toMillis());
      assertThat(latency).isLessThanOrEqualTo(INTERVAL.multipliedBy(2));
    }
    JsonNode snapshot = metrics("gw-a");
    assertThat(snapshot.path("processors").asInt()).isPositive();
    assertThat(Long.parseLong(snapshot.path("heapUsedBytes").asString())).isPositive();
  }

  @Test
  @Order(2)
  void activeStreamsInEtcdRiseWhileChatsStreamAndFallWhenTheyAreAcknowledged() throws Exception {
    Map<String, Integer> opened = Map.of("gw-a", 3, "gw-b", 2);
    waitUntilReady();
    for (String id : GATEWAYS) {
      assertThat(activeStreams(id)).as(id).isZero();
    }
    List<Chat> chats = new ArrayList<>();
    List<Disposable> readers = new ArrayList<>();
    try {
      opened.forEach(
          (id, count) -> {
            for (int i = 0; i < count; i++) {
              Chat chat = Chat.open(clients.get(id), id + "-user-" + i);
              readers.add(chat.read());
              chats.add(chat);
            }
          });
      // each generation counts from handshake until acknowledged, so the figure holds at the count
      await()
          .atMost(INTERVAL.multipliedBy(4))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () -> {
                for (var e : opened.entrySet()) {
                  assertThat(activeStreams(e.getKey()))
                      .as(e.getKey())
                      .isEqualTo(e.getValue().longValue());
                }
              });
      await()
          .atMost(WAIT)
          .until(() -> chats.stream().allMatch(c -> Chats.terminal(c.events) != null));
      assertThat(chats)
          .allSatisfy(
              c -> {
                assertThat(Chats.terminal(c.events).event()).isEqualTo("done");
                assertThat(Chats.chunks(c.events)).isNotEmpty();
              });
      chats.forEach(Chat::ack);
    } finally {
      readers.forEach(Disposable::dispose);
    }
    await()
        .atMost(INTERVAL.multipliedBy(4))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              for (String id : GATEWAYS) {
                assertThat(activeStreams(id)).as(id).isZero();
              }
            });
    assertThat(Long.parseLong(metrics("gw-a").path("requestsTotal").asString()))
        .isGreaterThanOrEqualTo(2L * opened.get("gw-a"));
  }

  @Test
  @Order(3)
  void aKilledGatewayLosesItsInstanceKeyWithinTtlPlusOneSecondThenItsMetricsAndSeries()
      throws Exception {
    String victim = "gw-b";
    String series =
        "jdy_backend_active_streams{backend_service=\"stream-gateway\",backend_instance=\"%s\"}";
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .untilAsserted(
            () -> {
              assertThat(prometheus.targetsUp()).withFailMessage(prometheus::tail).isTrue();
              for (String id : GATEWAYS) {
                assertThat(exporterScrape()).contains("backend_instance=\"" + id + "\"");
                assertThat(promResults(series.formatted(id))).isEqualTo(1);
              }
            });

    gateways.get(victim).kill();
    long killedAt = System.nanoTime();

    await()
        .atMost(TTL.plusSeconds(1))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> keys(INSTANCES + victim).isEmpty());
    long instanceGone = System.nanoTime() - killedAt;
    await()
        .atMost(INTERVAL.multipliedBy(3))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> keys(METRICS + victim).isEmpty());
    long metricsGone = System.nanoTime() - killedAt;
    await()
        .atMost(INTERVAL.multipliedBy(3))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> !exporterScrape().contains("backend_instance=\"" + victim + "\""));
    long exporterSeriesGone = System.nanoTime() - killedAt;
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> promResults(series.formatted(victim)) == 0);
    long prometheusSeriesGone = System.nanoTime() - killedAt;
    System.out.printf(
        "after SIGKILL of %s: instance key gone %d ms, metrics key %d ms, exporter series %d ms,"
            + " Prometheus series %d ms%n",
        victim,
        TimeUnit.NANOSECONDS.toMillis(instanceGone),
        TimeUnit.NANOSECONDS.toMillis(metricsGone),
        TimeUnit.NANOSECONDS.toMillis(exporterSeriesGone),
        TimeUnit.NANOSECONDS.toMillis(prometheusSeriesGone));

    // the survivor is untouched
    assertThat(keys(INSTANCES + "gw-a")).hasSize(1);
    assertThat(keys(METRICS + "gw-a")).hasSize(1);
    assertThat(promResults(series.formatted("gw-a"))).isEqualTo(1);
  }

  // ---- helpers

  /** A chat on one gateway: handshake, an SSE reader, an acknowledgement of its last event. */
  record Chat(Chats chats, String user, String streamId, List<ServerSentEvent<String>> events) {

    static final String PROMPT = "Count the clouds [dev:tokens=30] [dev:delay=50]";

    static Chat open(WebClient http, String user) {
      Chats chats = new Chats(http);
      return new Chat(
          chats, user, chats.handshake(user, PROMPT).streamId(), new CopyOnWriteArrayList<>());
    }

    Disposable read() {
      return chats.read(user, streamId, events);
    }

    void ack() {
      List<ServerSentEvent<String>> chunks = Chats.chunks(events);
      chats.ack(user, streamId, chunks.get(chunks.size() - 1).id());
    }
  }

  static void waitUntilReady() {
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .untilAsserted(
            () ->
                clients.forEach(
                    (id, http) ->
                        assertThat(
                                http.get()
                                    .uri("/actuator/health/readiness")
                                    .retrieve()
                                    .toBodilessEntity()
                                    .block(Duration.ofSeconds(5))
                                    .getStatusCode()
                                    .value())
                            .as(id)
                            .isEqualTo(200)));
  }

  static List<KeyValue> keys(String prefix) throws Exception {
    return etcd.client()
        .getKVClient()
        .get(ByteSequence.from(prefix, UTF_8), GetOption.builder().isPrefix(true).build())
        .get(5, TimeUnit.SECONDS)
        .getKvs();
  }

  static JsonNode metrics(String id) throws Exception {
    List<KeyValue> kvs = keys(METRICS + id);
    assertThat(kvs).as("metrics key of " + id).hasSize(1);
    return Chats.JSON.readTree(kvs.get(0).getValue().toString(UTF_8));
  }

  /** The active-streams figure of gateway {@code id} as the exporter wrote it into etcd. */
  static long activeStreams(String id) throws Exception {
    return Long.parseLong(metrics(id).path("activeStreams").asString());
  }

  static String exporterScrape() throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + exporterPort + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  static int promResults(String promql) throws Exception {
    return Chats.JSON.readTree(prometheus.query(promql)).path("data").path("result").size();
  }
}
