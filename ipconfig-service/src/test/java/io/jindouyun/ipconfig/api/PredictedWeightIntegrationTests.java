package io.jindouyun.ipconfig.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.testkit.EtcdExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/**
 * Two stream-gateway instances report healthy samples through real etcd, about once a second each
 * (as the exporter writes them); then gw-2's turn bad as a CPU-throttled gateway's do (less CPU,
 * event-loop lag and handshake time up, cgroup throttling, TTFT 8×): its weight in {@code /v1/best}
 * falls below half the best within 5 s, and comes back after its samples turn healthy.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.ipconfig.config-file=classpath:ipconfig-predict-test.yml",
      "jindouyun.ipconfig.etcd.probe-interval=100ms",
      "jindouyun.ipconfig.etcd.request-timeout=500ms",
      "jindouyun.ipconfig.recompute.interval=200ms"
    })
@AutoConfigureWebTestClient
@Timeout(120)
class PredictedWeightIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final EtcdKeys KEYS = EtcdKeys.DEFAULT;

  @DynamicPropertySource
  static void etcdEndpoint(DynamicPropertyRegistry registry) {
    registry.add("jindouyun.ipconfig.etcd.endpoints", etcd::endpoint);
  }

  @Autowired WebTestClient http;

  private final AtomicBoolean gw2Sick = new AtomicBoolean();

  @Test
  void throttledGatewayLosesHalfItsWeightWithin5sAndGetsItBackAfterwards() throws Exception {
    putInstance("gw-1", 8081);
    putInstance("gw-2", 8082);
    ScheduledExecutorService exporter = Executors.newSingleThreadScheduledExecutor();
    try {
      exporter.scheduleAtFixedRate(this::report, 0, 1, TimeUnit.SECONDS);
      // Healthy: both get the full weight, and the fit has its samples.
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> weight("gw-1") == 100 && weight("gw-2") == 100 && fitReady());

      gw2Sick.set(true);
      long faultAt = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> weight("gw-2") * 2 < weight("gw-1"));
      long downMillis = (System.nanoTime() - faultAt) / 1_000_000;
      JsonNode gw2 = scoresOf("gw-2");
      assertThat(gw2.get("basis").asString()).isIn("observed", "model");
      assertThat(gw2.get("prediction").get("predictedMs").asDouble()).isGreaterThan(200);
      assertThat(gw2.get("signals").get("lag").asDouble()).isGreaterThan(2);

      gw2Sick.set(false);
      long healedAt = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> weight("gw-2") >= 90 && weight("gw-1") == 100);
      long upMillis = (System.nanoTime() - healedAt) / 1_000_000;
      System.out.printf(
          Locale.ROOT,
          "throttled gateway: below half the best weight %d ms after the fault, back to >= 90 %d"
              + " ms after it ended%n",
          downMillis,
          upMillis);
    } finally {
      exporter.shutdownNow();
      assertThat(exporter.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }
  }

  private void report() {
    try {
      put(KEYS.metricsKey("stream-gateway", "gw-1"), sample("gw-1", false));
      put(KEYS.metricsKey("stream-gateway", "gw-2"), sample("gw-2", gw2Sick.get()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A snapshot as the exporter writes it; a throttled gateway shows less CPU, not more. */
  private static String sample(String id, boolean sick) {
    return String.format(
        Locale.ROOT,
        "{\"service\":\"stream-gateway\",\"instanceId\":\"%s\",\"timestampMs\":\"%d\","
            + "\"intervalMs\":\"1000\",\"processCpu\":%s,\"activeStreams\":\"10\","
            + "\"avgTtftMs\":%s,\"eventLoopLagMs\":%s,\"avgHandshakeMs\":%s,"
            + "\"handshakesInFlight\":\"%d\",\"cpuThrottled\":%s,\"gcPauseMsPerS\":2}",
        id,
        System.currentTimeMillis(),
        sick ? "0.05" : "0.4",
        sick ? "960" : "120",
        sick ? "250" : "2",
        sick ? "300" : "5",
        sick ? 6 : 1,
        sick ? "0.9" : "0");
  }

  private int weight(String id) {
    JsonNode body =
        http.get()
            .uri("/v1/best/stream-gateway")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(JsonNode.class)
            .returnResult()
            .getResponseBody();
    for (JsonNode i : body.get("instances")) {
      if (i.get("id").asString().equals(id)) {
        return i.get("weight").asInt();
      }
    }
    return 0;
  }

  private JsonNode scores() {
    return http.get()
        .uri("/v1/scores/stream-gateway")
        .exchange()
        .expectStatus()
        .isOk()
        .expectBody(JsonNode.class)
        .returnResult()
        .getResponseBody();
  }

  private boolean fitReady() {
    return scores().get("fit").get("ready").asBoolean();
  }

  private JsonNode scoresOf(String id) {
    for (JsonNode i : scores().get("instances")) {
      if (i.get("id").asString().equals(id)) {
        return i;
      }
    }
    throw new AssertionError(id + " not in /v1/scores");
  }

  private static void putInstance(String id, int port) throws Exception {
    put(
        KEYS.instanceKey("stream-gateway", id),
        new InstanceRecord(id, "stream-gateway", "127.0.0.1", port, port + 1000, "", "", "")
            .toJson());
  }

  private static void put(String key, String value) throws Exception {
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(key, StandardCharsets.UTF_8),
            ByteSequence.from(value, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
  }
}
