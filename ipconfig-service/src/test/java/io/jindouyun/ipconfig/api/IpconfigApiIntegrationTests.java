package io.jindouyun.ipconfig.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import tools.jackson.databind.JsonNode;

@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.ipconfig.config-file=classpath:ipconfig-test.yml",
      "jindouyun.ipconfig.etcd.probe-interval=100ms",
      "jindouyun.ipconfig.etcd.request-timeout=500ms",
      "jindouyun.ipconfig.etcd.max-backoff=300ms",
      "jindouyun.ipconfig.long-poll.max-waiters=3",
      "jindouyun.ipconfig.recompute.interval=200ms",
      "management.endpoint.health.show-components=always"
    })
@AutoConfigureWebTestClient
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(60)
class IpconfigApiIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final EtcdKeys KEYS = EtcdKeys.DEFAULT;
  private static final Duration WAIT = Duration.ofSeconds(10);

  @DynamicPropertySource
  static void etcdEndpoint(DynamicPropertyRegistry registry) {
    registry.add("jindouyun.ipconfig.etcd.endpoints", etcd::endpoint);
  }

  @Autowired WebTestClient http;
  @LocalServerPort int port;

  @Test
  @Order(1)
  void overrideIsVisibleWithin200msAndWakesAWaitingLongPoll() throws Exception {
    putInstance("gw-1", 8081);
    putInstance("gw-2", 8082);
    await().atMost(WAIT).until(() -> ids("stream-gateway").size() == 2);
    String etag = etag("/v1/best/stream-gateway");

    CompletableFuture<ResponseEntity<JsonNode>> longPoll =
        WebClient.create("http://127.0.0.1:" + port)
            .get()
            .uri("/v1/best/stream-gateway?wait=20s")
            .header("If-None-Match", etag)
            .retrieve()
            .toEntity(JsonNode.class)
            .toFuture();
    await().atMost(WAIT).until(() -> waiters() == 1);

    put(KEYS.overrideKey("stream-gateway"), "{\"strategy\":\"drain\",\"drain\":[\"gw-2\"]}");
    long put = System.nanoTime();
    ResponseEntity<JsonNode> answer = longPoll.get(5, TimeUnit.SECONDS);
    long longPollMillis = (System.nanoTime() - put) / 1_000_000;
    await()
        .atMost(Duration.ofMillis(200))
        .pollInterval(Duration.ofMillis(5))
        .until(() -> ids("stream-gateway").equals(List.of("gw-1")));
    long visibleMillis = (System.nanoTime() - put) / 1_000_000;

    System.out.printf(
        "override -> long-poll answer %d ms, visible to a plain GET %d ms%n",
        longPollMillis, visibleMillis);
    assertThat(answer.getStatusCode()).isEqualTo(HttpStatus.OK);
    assertThat(answer.getHeaders().getETag()).isNotEqualTo(etag);
    assertThat(answer.getBody().get("strategy").asString()).isEqualTo("drain");
    assertThat(answer.getBody().get("instances")).hasSize(1);
    assertThat(answer.getBody().get("instances").get(0).get("id").asString()).isEqualTo("gw-1");
    assertThat(longPollMillis).isLessThanOrEqualTo(200);
    assertThat(visibleMillis).isLessThanOrEqualTo(200);
    delete(KEYS.overrideKey("stream-gateway"));
    await().atMost(WAIT).until(() -> ids("stream-gateway").size() == 2);
  }

  @Test
  @Order(2)
  void servesTheListWithAnETagAndAnswers304WhenUnchanged() {
    await().atMost(WAIT).until(() -> ids("stream-gateway").size() == 2);
    JsonNode body =
        http.get()
            .uri("/v1/best/stream-gateway")
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .exists("ETag")
            .expectBody(JsonNode.class)
            .returnResult()
            .getResponseBody();
    assertThat(body.get("service").asString()).isEqualTo("stream-gateway");
    assertThat(body.get("stale").asBoolean()).isFalse();
    assertThat(body.get("strategy").asString()).isEqualTo("score");
    JsonNode first = body.get("instances").get(0);
    assertThat(first.get("host").asString()).isEqualTo("127.0.0.1");
    assertThat(first.get("weight").asInt()).isEqualTo(100);
    assertThat(first.get("score").asDouble()).isEqualTo(0.5);
    String etag = "\"" + body.get("version").asLong() + "\"";

    http.get()
        .uri("/v1/best/stream-gateway")
        .header("If-None-Match", etag)
        .exchange()
        .expectStatus()
        .isNotModified()
        .expectHeader()
        .valueEquals("ETag", etag);
    http.get()
        .uri("/v1/best/stream-gateway?wait=300ms")
        .header("If-None-Match", etag)
        .exchange()
        .expectStatus()
        .isNotModified();
  }

  @Test
  @Order(3)
  void allServicesIncludeStaticInstances() {
    JsonNode body =
        http.get()
            .uri("/v1/best")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(JsonNode.class)
            .returnResult()
            .getResponseBody();
    assertThat(body.get("services").propertyNames())
        .containsExactly("stream-gateway", "llm-consumer");
    assertThat(body.get("services").get("llm-consumer").get("instances").get(0).get("port").asInt())
        .isEqualTo(8181);
  }

  @Test
  @Order(4)
  void unknownServiceAndBadWaitAreProblems() {
    http.get()
        .uri("/v1/best/nope")
        .exchange()
        .expectStatus()
        .isNotFound()
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/unknown-service");
    String etag = etag("/v1/best/stream-gateway");
    http.get()
        .uri("/v1/best/stream-gateway?wait=soon")
        .header("If-None-Match", etag)
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/invalid-wait");
    http.get().uri("/v1/scores/nope").exchange().expectStatus().isNotFound();
  }

  @Test
  @Order(4)
  void frameworkErrorsAreProblemsToo() {
    http.get()
        .uri("/v2/nothing-here")
        .exchange()
        .expectStatus()
        .isNotFound()
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status")
        .isEqualTo(404);
    http.post()
        .uri("/v1/best/stream-gateway")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}")
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status")
        .isEqualTo(405);
  }

  @Test
  @Order(5)
  void longPollsBeyondTheBoundAreTurnedAway() {
    String etag = etag("/v1/best/stream-gateway");
    WebClient client = WebClient.create("http://127.0.0.1:" + port);
    List<CompletableFuture<HttpStatus>> held =
        java.util.stream.IntStream.range(0, 3)
            .mapToObj(
                i ->
                    client
                        .get()
                        .uri("/v1/best/stream-gateway?wait=3s")
                        .header("If-None-Match", etag)
                        .exchangeToMono(
                            r ->
                                r.releaseBody()
                                    .thenReturn(HttpStatus.valueOf(r.statusCode().value())))
                        .toFuture())
            .toList();
    await().atMost(WAIT).until(() -> waiters() == 3);
    http.get()
        .uri("/v1/best/stream-gateway?wait=3s")
        .header("If-None-Match", etag)
        .exchange()
        .expectStatus()
        .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/too-many-waiters");
    held.forEach(f -> assertThat(f.join()).isEqualTo(HttpStatus.NOT_MODIFIED));
    assertThat(waiters()).isZero();
  }

  @Test
  @Order(6)
  void scoresExplainTheFitTheBasisAndThePrior() throws Exception {
    put(
        KEYS.metricsKey("stream-gateway", "gw-1"),
        "{\"service\":\"stream-gateway\",\"instanceId\":\"gw-1\",\"timestampMs\":\""
            + System.currentTimeMillis()
            + "\",\"processCpu\":0.25}");
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              JsonNode body =
                  http.get()
                      .uri("/v1/scores/stream-gateway")
                      .exchange()
                      .expectStatus()
                      .isOk()
                      .expectBody(JsonNode.class)
                      .returnResult()
                      .getResponseBody();
              JsonNode gw1 = body.get("instances").get(0);
              assertThat(gw1.get("id").asString()).isEqualTo("gw-1");
              assertThat(gw1.get("stale").asBoolean()).isFalse();
              // No TTFT observed and no fit yet: ranked by the prior, the linear score.
              assertThat(gw1.get("basis").asString()).isEqualTo("prior");
              assertThat(gw1.get("score").asDouble()).isEqualTo(1.0);
              assertThat(gw1.get("signals").get("lag").asDouble()).isZero();
              assertThat(gw1.get("signals").get("ttft").isNull()).isTrue();
              JsonNode cpu = gw1.get("prior").get("metrics").get(0);
              assertThat(cpu.get("metric").asString()).isEqualTo("cpu");
              assertThat(cpu.get("windowAverages").get(0).asDouble()).isEqualTo(0.25);
              assertThat(cpu.get("subScore").asDouble()).isEqualTo(0.75);
              // cpu 0.75 × 1/2 + errors (no request counted: rate 0) 1.0 × 1/2 = 0.875
              assertThat(gw1.get("prior").get("score").asDouble()).isEqualTo(0.875);
              JsonNode gw2 = body.get("instances").get(1);
              assertThat(gw2.get("stale").asBoolean()).isTrue();
              assertThat(gw2.get("basis").asString()).isEqualTo("stale");
              assertThat(body.get("fit").get("coefficients").propertyNames())
                  .containsExactly(
                      "intercept",
                      "lag",
                      "handshake",
                      "load",
                      "throttled",
                      "gc",
                      "queue_wait",
                      "upstream_ttft");
              assertThat(body.get("fit").get("ready").asBoolean()).isFalse();
              assertThat(body.get("damping").get("damped").asBoolean()).isFalse();
            });
    http.get()
        .uri("/actuator/prometheus")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(String.class)
        .value(
            text ->
                assertThat(text)
                    .contains("ipconfig_instance_score{")
                    .containsPattern("ipconfig_instance_weight\\{[^}]*backend_instance=")
                    .containsPattern("ipconfig_list_version\\{[^}]*backend_service=")
                    .doesNotContainPattern("ipconfig_\\w+\\{[^}]*(?<!backend_)(service|instance)=")
                    .contains("ipconfig_instance_weight{")
                    .contains("ipconfig_list_version{")
                    .contains("ipconfig_rank_changes{")
                    .contains("ipconfig_ranking_damped{")
                    .contains("ipconfig_longpoll_waiters")
                    .contains("ipconfig_watch_restarts_total{"));
  }

  @Test
  @Order(7)
  void etcdRestartMarksTheListStaleAndRecoversWithoutARestart() throws Exception {
    etcd.stop();
    await().atMost(WAIT).until(() -> best("stream-gateway").get("stale").asBoolean());
    assertThat(ids("stream-gateway")).containsExactlyInAnyOrder("gw-1", "gw-2");
    etcd.start();
    await().atMost(WAIT).until(() -> !best("stream-gateway").get("stale").asBoolean());
    putInstance("gw-3", 8083);
    await().atMost(WAIT).until(() -> ids("stream-gateway").size() == 3);
    http.get()
        .uri("/actuator/health/readiness")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody()
        .jsonPath("$.components.bestList.status")
        .isEqualTo("UP");
  }

  private JsonNode best(String service) {
    return http.get()
        .uri("/v1/best/" + service)
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(JsonNode.class)
        .returnResult()
        .getResponseBody();
  }

  private List<String> ids(String service) {
    List<String> ids = new java.util.ArrayList<>();
    best(service).get("instances").forEach(i -> ids.add(i.get("id").asString()));
    return ids;
  }

  private String etag(String uri) {
    return http.get()
        .uri(uri)
        .exchange()
        .expectStatus()
        .isOk()
        .returnResult(String.class)
        .getResponseHeaders()
        .getETag();
  }

  private int waiters() {
    String text =
        http.get()
            .uri("/actuator/prometheus")
            .exchange()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    return text.lines()
        .filter(l -> l.startsWith("ipconfig_longpoll_waiters"))
        .map(l -> (int) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(-1);
  }

  private static void putInstance(String id, int port) throws Exception {
    put(
        KEYS.instanceKey("stream-gateway", id),
        new InstanceRecord(id, "stream-gateway", "127.0.0.1", port, port + 1000, "", "", "")
            .toJson());
  }

  private static void put(String key, String value) throws Exception {
    etcd.client().getKVClient().put(bytes(key), bytes(value)).get(5, TimeUnit.SECONDS);
  }

  private static void delete(String key) throws Exception {
    etcd.client().getKVClient().delete(bytes(key)).get(5, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
