package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * The edge in front of the real services: etcd, Kafka, ipconfig-service and two stream-gateways
 * (their exec jars, each its own JVM). Handshakes through the edge reach both gateways; a cancel
 * reaches the owner; a drain override put into etcd moves new traffic within 2 s.
 */
@Timeout(240)
class EdgeRealServicesIntegrationTests {

  private static final String SECRET = "edge-tests-secret-0123456789abcdef-0123456789";

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static final List<JavaService> services = new ArrayList<>();
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  static int ipconfigPort;
  static int[] gatewayPorts;

  @BeforeAll
  static void start() {
    kafka.createTopics(12, "chat.jobs", "chat.replies");
    kafka.createTopics(3, "chat.control", "chat.jobs-dlt");
    ipconfigPort = FreePorts.next();
    services.add(
        JavaService.start(
            "ipconfig",
            "ipconfig-service",
            Map.of(),
            List.of(
                "--server.port=" + ipconfigPort,
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.ipconfig.etcd.endpoints=" + etcd.endpoint())));
    gatewayPorts = new int[] {FreePorts.next(), FreePorts.next()};
    for (int i = 0; i < 2; i++) {
      services.add(
          JavaService.start(
              "gw-" + (i + 1),
              "stream-gateway",
              Map.of("JINDOUYUN_SECURITY_JWTSECRET", SECRET),
              List.of(
                  "--server.port=" + gatewayPorts[i],
                  "--jindouyun.instance.id=gw-" + (i + 1),
                  "--jindouyun.metrics.grpc-port=" + FreePorts.next(),
                  "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                  "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers())));
    }
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptionsInstanceOf(java.io.IOException.class)
        .untilAsserted(
            () -> {
              services.forEach(s -> assertThat(s.isAlive()).withFailMessage(s::tail).isTrue());
              assertThat(bestListIds()).containsExactlyInAnyOrder("gw-1", "gw-2");
            });
    EdgeConf conf =
        new EdgeConf()
            .ipconfig("http://127.0.0.1:" + ipconfigPort)
            .staticGateways(
                "gw-1=127.0.0.1:" + gatewayPorts[0] + " gw-2=127.0.0.1:" + gatewayPorts[1])
            .set("poll_wait", "5");
    nginx.start(conf.text(), conf.values());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> status().path("source").asString().equals("ipconfig"));
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    services.forEach(JavaService::close);
  }

  private static List<String> bestListIds() throws Exception {
    HttpResponse<String> response =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ipconfigPort + "/v1/best/stream-gateway"))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      return List.of();
    }
    List<String> ids = new ArrayList<>();
    EdgeClient.JSON
        .readTree(response.body())
        .path("instances")
        .forEach(i -> ids.add(i.path("id").asString()));
    return ids;
  }

  private static JsonNode status() throws Exception {
    return new EdgeClient(nginx.port()).status();
  }

  /** An HS256 JWT signed with the gateways' secret. */
  static String jwt(String user) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long now = System.currentTimeMillis() / 1000;
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes());
    String payload =
        b64.encodeToString(
            ("{\"sub\":\"" + user + "\",\"iat\":" + now + ",\"exp\":" + (now + 600) + "}")
                .getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature =
        b64.encodeToString(
            mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
    return header + "." + payload + "." + signature;
  }

  private static HttpResponse<String> handshake(String user) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + nginx.port() + "/v1/chat/handshake"))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + jwt(user))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String node(HttpResponse<String> response) {
    return EdgeClient.JSON.readTree(response.body()).path("node").asString();
  }

  @Test
  void handshakesThroughTheEdgeReachBothRealGatewaysAndCancelReachesTheOwner() throws Exception {
    List<String> nodes = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      HttpResponse<String> response = handshake("user-" + i);
      assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
      String streamId = EdgeClient.JSON.readTree(response.body()).path("streamId").asString();
      assertThat(streamId).startsWith(node(response) + "~");
      nodes.add(node(response));
      HttpResponse<String> cancel =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://127.0.0.1:" + nginx.port() + "/v1/chat/stream/" + streamId))
                  .timeout(Duration.ofSeconds(10))
                  .header("Authorization", "Bearer " + jwt("user-" + i))
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
    }

    assertThat(nodes).contains("gw-1", "gw-2");
  }

  @Test
  void drainOverridePutInEtcdMovesNewHandshakesWithinTwoSeconds() throws Exception {
    long put = System.currentTimeMillis();
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from("/jindouyun/overrides/stream-gateway", StandardCharsets.UTF_8),
            ByteSequence.from(
                "{\"strategy\":\"drain\",\"drain\":[\"gw-2\"]}", StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
    try {
      await()
          .atMost(Duration.ofSeconds(2))
          .pollInterval(Duration.ofMillis(20))
          .untilAsserted(
              () -> {
                for (int i = 0; i < 10; i++) {
                  assertThat(node(handshake("drain-probe-" + i))).isEqualTo("gw-1");
                }
              });
      long moved = System.currentTimeMillis() - put;
      for (int i = 0; i < 40; i++) {
        HttpResponse<String> response = handshake("drained-" + i);
        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(node(response)).isEqualTo("gw-1");
      }
      assertThat(moved).isLessThan(2000);
    } finally {
      etcd.client()
          .getKVClient()
          .delete(ByteSequence.from("/jindouyun/overrides/stream-gateway", StandardCharsets.UTF_8))
          .get(5, TimeUnit.SECONDS);
    }
  }
}
