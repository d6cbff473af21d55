package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.jindouyun.contract.EtcdKeys;
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

/** Shared helpers of the tests that run the edge in front of the real services' exec jars. */
final class RealSuite {

  static final String SECRET = "edge-tests-secret-0123456789abcdef-0123456789";
  static final String OVERRIDE = EtcdKeys.DEFAULT.overrideKey("stream-gateway");
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private RealSuite() {}

  static void createTopics(KafkaExtension kafka) {
    kafka.createTopics(12, "chat.jobs", "chat.replies");
    kafka.createTopics(3, "chat.control", "chat.jobs-dlt");
  }

  static JavaService startIpconfig(int port, EtcdExtension etcd) {
    return JavaService.start(
        "ipconfig",
        "ipconfig-service",
        Map.of(),
        List.of(
            "--server.port=" + port,
            "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
            "--jindouyun.ipconfig.etcd.endpoints=" + etcd.endpoint()));
  }

  static JavaService startGateway(
      String id, int port, EtcdExtension etcd, KafkaExtension kafka, String... extraArgs) {
    return JavaService.startGateway(
        id, port, etcd, kafka, Map.of("JINDOUYUN_SECURITY_JWTSECRET", SECRET), extraArgs);
  }

  /**
   * Starts an llm-consumer ({@code llm-1}) on free ports against {@code llmBaseUrl}, with no drain
   * wait at shutdown; {@code extraArgs} are added last.
   */
  static JavaService startConsumer(
      EtcdExtension etcd, KafkaExtension kafka, String llmBaseUrl, String... extraArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--server.port=" + FreePorts.next(),
                "--jindouyun.instance.id=llm-1",
                "--jindouyun.metrics.grpc-port=" + FreePorts.next(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llmBaseUrl,
                "--jindouyun.consumer.drain-timeout=0s"));
    args.addAll(List.of(extraArgs));
    return JavaService.start("llm-consumer", "llm-consumer", Map.of(), args);
  }

  /** Waits (bounded) until every service is alive and ipconfig's best list holds exactly ids. */
  static void awaitRegistered(List<JavaService> services, int ipconfigPort, String... ids) {
    await()
        .atMost(Duration.ofSeconds(150))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptionsInstanceOf(java.io.IOException.class)
        .untilAsserted(
            () -> {
              services.forEach(s -> assertThat(s.isAlive()).withFailMessage(s::tail).isTrue());
              assertThat(bestListIds(ipconfigPort)).containsExactlyInAnyOrder(ids);
            });
  }

  /** Starts nginx from the conf and waits (bounded) until the edge took its list from ipconfig. */
  static void startEdge(NginxExtension nginx, EdgeConf conf) {
    nginx.start(conf.text(), conf.values());
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                new EdgeClient(nginx.port()).status().path("source").asString().equals("ipconfig"));
  }

  static List<String> bestListIds(int ipconfigPort) throws Exception {
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

  /** An HS256 JWT signed with the gateways' secret. */
  static String jwt(String user) throws Exception {
    return jwt(user, System.currentTimeMillis() / 1000 + 600, SECRET);
  }

  /**
   * An HS256 JWT of {@code user} that expires at {@code exp} (epoch seconds), signed with {@code
   * secret}.
   */
  static String jwt(String user, long exp, String secret) throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long now = Math.min(System.currentTimeMillis() / 1000, exp - 60);
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes());
    String payload =
        b64.encodeToString(
            ("{\"sub\":\""
                    + user
                    + "\",\"iss\":\"jindouyun-dev\",\"iat\":"
                    + now
                    + ",\"exp\":"
                    + exp
                    + "}")
                .getBytes(StandardCharsets.UTF_8));
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    String signature =
        b64.encodeToString(
            mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
    return header + "." + payload + "." + signature;
  }

  /** A signed handshake through {@code edgePort} whose user message is "hello". */
  static HttpResponse<String> handshake(int edgePort, String user) throws Exception {
    return handshake(edgePort, user, "hello");
  }

  /** DELETE {@code /v1/chat/stream/{id}} through the edge. */
  static HttpResponse<String> cancel(int edgePort, String user, String streamId) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + edgePort + "/v1/chat/stream/" + streamId))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + jwt(user))
            .DELETE()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String node(HttpResponse<String> response) {
    return EdgeClient.JSON.readTree(response.body()).path("node").asString();
  }

  static String streamId(HttpResponse<String> response) {
    return EdgeClient.JSON.readTree(response.body()).path("streamId").asString();
  }

  /** Puts the operator override of the stream-gateways into etcd. */
  static void override(EtcdExtension etcd, String json) throws Exception {
    etcd.client()
        .getKVClient()
        .put(
            ByteSequence.from(OVERRIDE, StandardCharsets.UTF_8),
            ByteSequence.from(json, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS);
  }

  /**
   * {@code total} signed handshakes through {@code port} from {@code threads} threads, each on its
   * own keep-alive connection, every one from another user ({@code prefix} + n) so that no per-user
   * limit of the real gateways is reached; all outcomes (transport error: status -1).
   */
  static List<EdgeClient.Handshake> handshakes(int port, int total, int threads, String prefix)
      throws Exception {
    return EdgeClient.concurrentHandshakes(
        port,
        total,
        threads,
        (client, n) ->
            EdgeClient.handshake(client, "Bearer " + jwt(prefix + n), EdgeClient.HANDSHAKE_BODY));
  }

  /** A handshake whose user message is {@code content} (e.g. with dev-llm directives). */
  static HttpResponse<String> handshake(int port, String user, String content) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/handshake"))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + jwt(user))
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}]}"))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Reads the SSE stream {@code streamId} as {@code user} through {@code port} over a plain socket
   * until {@code event: done}; each chunk's arrival is in nanoseconds after {@code startNanos} (a
   * {@link System#nanoTime()} taken by the caller, e.g. before the handshake).
   */
  static SseProbe.Result stream(int port, String user, String streamId, long startNanos)
      throws Exception {
    return SseProbe.get(port, "/v1/chat/stream/" + streamId, "Bearer " + jwt(user), startNanos);
  }

  /**
   * Waits (bounded) until a chat through the edge on {@code port} is answered to its end: the
   * consumer has joined its group and the pipeline answers.
   */
  static void awaitAnswering(int port) {
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              HttpResponse<String> handshake = handshake(port, "warm", "hi");
              assertThat(handshake.statusCode()).isEqualTo(202);
              assertThat(stream(port, "warm", streamId(handshake), System.nanoTime()).done())
                  .isTrue();
            });
  }
}
