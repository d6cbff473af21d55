package io.jindouyun.edge;

import java.io.IOException;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** HTTP calls against the edge (or a gateway directly) as the tests need them. */
final class EdgeClient {

  private static final Pattern NODE = Pattern.compile("\"node\":\"([^\"]+)\"");
  private static final Pattern STREAM_ID = Pattern.compile("\"streamId\":\"([^\"]+)\"");

  /** The body of the tests' handshakes: one user message "hi". */
  static final String HANDSHAKE_BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

  static final JsonMapper JSON = JsonMapper.builder().build();

  /** One handshake's outcome: HTTP status and the node that answered (null when none). */
  record Handshake(int status, String node, String streamId, long atMillis) {}

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final String base;
  private final int port;

  EdgeClient(int port) {
    this.port = port;
    this.base = "http://127.0.0.1:" + port;
  }

  HttpClient http() {
    return http;
  }

  String base() {
    return base;
  }

  /** An unsigned JWT whose payload has {@code sub}: the edge reads it, it never verifies. */
  static String token(String user) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes());
    String payload =
        b64.encodeToString(("{\"sub\":\"" + user + "\"}").getBytes(StandardCharsets.UTF_8));
    return header + "." + payload + ".c2lnbmF0dXJl";
  }

  Handshake handshake(String user) {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + "/v1/chat/handshake"))
            .timeout(Duration.ofSeconds(10))
            .header("Authorization", "Bearer " + token(user))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(HANDSHAKE_BODY))
            .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      Matcher node = NODE.matcher(response.body());
      Matcher id = STREAM_ID.matcher(response.body());
      return new Handshake(
          response.statusCode(),
          node.find() ? node.group(1) : null,
          id.find() ? id.group(1) : null,
          System.currentTimeMillis());
    } catch (IOException e) {
      return new Handshake(-1, null, null, System.currentTimeMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Handshake(-1, null, null, System.currentTimeMillis());
    }
  }

  /**
   * {@code total} handshakes from {@code threads} threads, each on its own keep-alive connection;
   * all outcomes (a transport error counts as status -1).
   */
  List<Handshake> handshakes(int total, int threads) throws Exception {
    return concurrentHandshakes(
        port, total, threads, (client, n) -> rawHandshake(client, "user-" + n));
  }

  /** Makes handshake number {@code n} on {@code client}. */
  @FunctionalInterface
  interface HandshakeCall {
    Handshake send(KeepAliveClient client, int n) throws Exception;
  }

  /** What one thread does on its own keep-alive connection. */
  @FunctionalInterface
  interface ConnectionLoop {
    void run(KeepAliveClient client, int thread) throws Exception;
  }

  /**
   * Starts {@code threads} tasks on {@code pool}, each on its own keep-alive connection to {@code
   * port} (closed when its {@code loop} returns).
   */
  static List<Future<?>> onConnections(
      ExecutorService pool, int port, int threads, ConnectionLoop loop) {
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      final int thread = t;
      futures.add(
          pool.submit(
              () -> {
                try (KeepAliveClient client = new KeepAliveClient(port)) {
                  loop.run(client, thread);
                }
                return null;
              }));
    }
    return futures;
  }

  /**
   * {@code total} handshakes through {@code port} from {@code threads} threads, each thread on its
   * own keep-alive connection; {@code call} makes each one, numbered {@code total} down to 1 (each
   * number once). All outcomes, in the order they completed.
   */
  static List<Handshake> concurrentHandshakes(int port, int total, int threads, HandshakeCall call)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    AtomicInteger left = new AtomicInteger(total);
    List<Handshake> out = java.util.Collections.synchronizedList(new ArrayList<>(total));
    try {
      List<Future<?>> futures =
          onConnections(
              pool,
              port,
              threads,
              (client, thread) -> {
                int n;
                while ((n = left.getAndDecrement()) > 0) {
                  out.add(call.send(client, n));
                }
              });
      for (Future<?> future : futures) {
        future.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return new ArrayList<>(out);
  }

  /** Handshakes from {@code threads} threads until {@code until} (epoch millis). */
  List<Handshake> handshakesUntil(long until, int threads) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Handshake> out = java.util.Collections.synchronizedList(new ArrayList<>());
    try {
      List<Future<?>> futures =
          onConnections(
              pool,
              port,
              threads,
              (client, thread) -> {
                int n = 0;
                while (System.currentTimeMillis() < until) {
                  out.add(rawHandshake(client, "user-" + thread + "-" + n++));
                }
              });
      for (Future<?> future : futures) {
        future.get(until - System.currentTimeMillis() + 30_000, TimeUnit.MILLISECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    return new ArrayList<>(out);
  }

  private static Handshake rawHandshake(KeepAliveClient client, String user) {
    return handshake(client, "Bearer " + token(user), HANDSHAKE_BODY);
  }

  /**
   * {@code POST /v1/chat/handshake} with {@code body} on the keep-alive {@code client}, with the
   * {@code Authorization} header {@code authorization}; a transport error gives status -1.
   */
  static Handshake handshake(KeepAliveClient client, String authorization, String body) {
    try {
      KeepAliveClient.Response response = client.post("/v1/chat/handshake", authorization, body);
      Matcher node = NODE.matcher(response.body());
      Matcher id = STREAM_ID.matcher(response.body());
      return new Handshake(
          response.status(),
          node.find() ? node.group(1) : null,
          id.find() ? id.group(1) : null,
          System.currentTimeMillis());
    } catch (IOException e) {
      return new Handshake(-1, null, null, System.currentTimeMillis());
    }
  }

  static Map<String, Integer> byNode(List<Handshake> handshakes) {
    Map<String, Integer> counts = new ConcurrentHashMap<>();
    for (Handshake h : handshakes) {
      counts.merge(h.node() == null ? "failed:" + h.status() : h.node(), 1, Integer::sum);
    }
    return counts;
  }

  HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base + path))
            .timeout(Duration.ofSeconds(10))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  /** The edge's {@code /_edge/status}. */
  JsonNode status() throws Exception {
    return JSON.readTree(send("GET", "/_edge/status", null).body());
  }
}
