package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 6 Done-when 7, 3 and 4 against real processes: etcd, Kafka, ipconfig-service and three
 * stream-gateways (exec jars, each its own JVM) behind nginx with the real configuration. Stream,
 * ack and cancel land on the owner; a SIGKILLed gateway fails no handshake; a SIGKILLed ipconfig
 * fails no handshake and after the stale age the edge picks weighted random over the last list.
 */
@Timeout(240)
@TestMethodOrder(OrderAnnotation.class)
class EdgeRealFailoverIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static final RealBackend backend = new RealBackend();

  /** One handshake's outcome: status, answering node and when it was sent (ms after the kill). */
  record Shot(int status, String node, long sentMillis) {}

  @BeforeAll
  static void start() {
    backend.start(etcd, kafka);
    RealSuite.startEdge(nginx, backend.edgeConf(backend.staticGateways()).set("stale_age", "2"));
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    backend.close();
  }

  /** Opens the SSE stream through the edge, reads until the first {@code : ping}, closes. */
  private static int streamUntilPing(String user, String streamId) throws Exception {
    try (Socket socket = new Socket()) {
      socket.setSoTimeout(10_000);
      socket.connect(new InetSocketAddress("127.0.0.1", nginx.port()), 2000);
      OutputStream out = socket.getOutputStream();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      out.write(
          ("GET /v1/chat/stream/"
                  + streamId
                  + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                  + "Authorization: Bearer "
                  + RealSuite.jwt(user)
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String statusLine = in.readLine();
      int status = Integer.parseInt(statusLine.split(" ")[1]);
      String line;
      while ((line = in.readLine()) != null && !line.isEmpty()) {
        // headers
      }
      if (status != 200) {
        return status;
      }
      while ((line = in.readLine()) != null) {
        if (line.startsWith(":") && line.contains("ping")) {
          return status;
        }
      }
      return -1;
    }
  }

  private static int ack(String user, String streamId) throws Exception {
    return RealSuite.http
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + nginx.port() + "/v1/chat/ack/" + streamId))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + RealSuite.jwt(user))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Handshakes through the edge for the given time, one after another. */
  private static List<Shot> handshakesFor(Duration duration, long since, String prefix)
      throws Exception {
    List<Shot> shots = new ArrayList<>();
    long end = System.currentTimeMillis() + duration.toMillis();
    for (int i = 0; System.currentTimeMillis() < end; i++) {
      long sent = System.currentTimeMillis() - since;
      HttpResponse<String> response = RealSuite.handshake(nginx.port(), prefix + i);
      String node = response.statusCode() == 202 ? RealSuite.node(response) : "";
      shots.add(new Shot(response.statusCode(), node, sent));
    }
    return shots;
  }

  @Test
  @Order(1)
  void streamAckAndCancelThroughTheEdgeLandOnTheOwnerAcrossThreeGateways() throws Exception {
    Set<String> seen = new HashSet<>();
    int[] user = {0};
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(1))
        .untilAsserted(
            () -> {
              String name = "owner-" + user[0]++;
              HttpResponse<String> response = RealSuite.handshake(nginx.port(), name);
              assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
              String streamId = RealSuite.streamId(response);
              String owner = RealSuite.node(response);
              assertThat(streamId).startsWith(owner + "~");
              assertThat(streamUntilPing(name, streamId))
                  .as("stream of " + streamId)
                  .isEqualTo(200);
              assertThat(ack(name, streamId)).as("ack of " + streamId).isIn(204, 409);
              HttpResponse<String> cancel = RealSuite.cancel(nginx.port(), name, streamId);
              assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
              seen.add(owner);
              assertThat(seen).containsExactlyInAnyOrder("gw-1", "gw-2", "gw-3");
            });
  }

  @Test
  @Order(2)
  void killedGatewayFailsNoHandshakeAndGetsNoneAfterOneSecond() throws Exception {
    long killed = System.currentTimeMillis();
    backend.gateway(2).kill();
    List<Shot> shots = handshakesFor(Duration.ofSeconds(3), killed, "after-kill-");

    long lastOnKilled =
        shots.stream()
            .filter(s -> s.node().equals("gw-3"))
            .mapToLong(Shot::sentMillis)
            .max()
            .orElse(-1);
    long failedConnects =
        java.nio.file.Files.readAllLines(nginx.prefix().resolve("logs/error.log")).stream()
            .filter(l -> l.contains("connect() failed"))
            .filter(l -> l.contains("upstream: \"http://127.0.0.1:" + backend.gatewayPort(2) + "/"))
            .count();
    System.out.printf(
        "gateway killed: %d handshakes, %d failed, last on gw-3 sent at %d ms after the kill,"
            + " %d failed connects to gw-3 in the edge's error log%n",
        shots.size(),
        shots.stream().filter(s -> s.status() != 202).count(),
        lastOnKilled,
        failedConnects);
    assertThat(shots).hasSizeGreaterThan(20).allSatisfy(s -> assertThat(s.status()).isEqualTo(202));
    assertThat(lastOnKilled).isLessThan(1000);
    // worker_processes auto: at most one failed connect per nginx worker, then gw-3 is marked down
    assertThat(failedConnects).isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(shots.stream().map(Shot::node)).contains("gw-1", "gw-2");
  }

  @Test
  @Order(3)
  void killedIpconfigFailsNoHandshakeAndAfterTheStaleAgeTheEdgePicksWeightedRandom()
      throws Exception {
    EdgeClient edge = new EdgeClient(nginx.port());
    assertThat(edge.status().path("mode").asString()).isEqualTo("p2c");
    long killed = System.currentTimeMillis();
    backend.ipconfig().kill();
    List<Shot> during = handshakesFor(Duration.ofSeconds(2), killed, "no-ipconfig-");
    await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> edge.status().path("mode").asString().equals("random"));
    List<Shot> after = handshakesFor(Duration.ofSeconds(1), killed, "stale-");

    System.out.printf(
        "ipconfig killed: %d handshakes before and %d after the stale age, %d failed%n",
        during.size(),
        after.size(),
        during.stream().filter(s -> s.status() != 202).count()
            + after.stream().filter(s -> s.status() != 202).count());
    assertThat(during).isNotEmpty().allSatisfy(s -> assertThat(s.status()).isEqualTo(202));
    assertThat(after)
        .isNotEmpty()
        .allSatisfy(
            s -> {
              assertThat(s.status()).isEqualTo(202);
              assertThat(s.node()).isIn("gw-1", "gw-2");
            });
  }
}
