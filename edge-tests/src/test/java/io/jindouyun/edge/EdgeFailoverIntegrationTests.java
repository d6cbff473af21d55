package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.edge.EdgeClient.Handshake;
import io.jindouyun.edge.StandInIpconfig.Instance;
import io.jindouyun.testkit.NginxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 6, done-when 3, 4 and 5: a killed gateway, a killed ipconfig, and a restart while ipconfig
 * is down. Each test has its own nginx, ipconfig and gateways.
 */
@Timeout(60)
class EdgeFailoverIntegrationTests {

  private static final Pattern ACCESS = Pattern.compile("^(\\d+\\.\\d+) .* up=(\\S.*?) ut=");

  @RegisterExtension final NginxExtension nginx = new NginxExtension();

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private StandInIpconfig ipconfig;
  private StandInGateway a;
  private StandInGateway b;
  private StandInGateway c;
  private EdgeClient edge;

  @BeforeEach
  void start() {
    ipconfig = track(new StandInIpconfig());
    a = track(new StandInGateway("gw-a"));
    b = track(new StandInGateway("gw-b"));
    c = track(new StandInGateway("gw-c"));
  }

  @AfterEach
  void stop() {
    for (AutoCloseable closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception ignored) {
        // best effort
      }
    }
  }

  private <T extends AutoCloseable> T track(T closeable) {
    closeables.add(closeable);
    return closeable;
  }

  private EdgeConf conf() {
    return new EdgeConf().ipconfig(ipconfig.url()).set("poll_wait", "5");
  }

  private void startEdge(EdgeConf conf) {
    nginx.start(conf.text(), conf.values());
    edge = new EdgeClient(nginx.port());
  }

  private void publishAndAwait(List<Instance> instances) {
    long version = ipconfig.publish("score", instances);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> edge.status().path("version").asString().equals(Long.toString(version)));
  }

  private static double share(List<Handshake> results, String node) {
    return results.stream().filter(h -> node.equals(h.node())).count() / (double) results.size();
  }

  @Test
  void killedGatewayFailsNoHandshakeCostsAtMostOneConnectPerWorkerAndGetsNothingAfterOneSecond()
      throws Exception {
    startEdge(conf().staticGateways(List.of(a, b, c)));
    publishAndAwait(List.of(Instance.of(a, 1), Instance.of(b, 1), Instance.of(c, 1)));
    long start = System.currentTimeMillis();
    CompletableFuture<List<Handshake>> load =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return edge.handshakesUntil(start + 3_000, 4);
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    await().atMost(Duration.ofSeconds(5)).until(() -> c.count("handshake") > 200);
    long killedAt = System.currentTimeMillis();
    c.kill();
    List<Handshake> results = load.get(30, java.util.concurrent.TimeUnit.SECONDS);
    nginx.stop(); // flushes the access log

    assertThat(results).hasSizeGreaterThan(500);
    assertThat(results).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    String errors = nginx.errorLog();
    long failedConnects = errors.lines().filter(l -> l.contains("connect() failed")).count();
    int workers = Runtime.getRuntime().availableProcessors();
    assertThat(failedConnects)
        .as("failed connects (workers: %d)", workers)
        .isLessThanOrEqualTo(workers);
    assertThat(errors).contains("gateway gw-c (127.0.0.1:" + c.port() + ") marked down");
    List<String> lateToKilled = new ArrayList<>();
    for (String line : Files.readAllLines(nginx.prefix().resolve("logs/access.log"))) {
      Matcher m = ACCESS.matcher(line);
      if (m.find()
          && (long) (Double.parseDouble(m.group(1)) * 1000) > killedAt + 1000
          && m.group(2).contains(":" + c.port())) {
        lateToKilled.add(line);
      }
    }
    assertThat(lateToKilled).as("requests sent to the killed gateway after 1 s").isEmpty();
    assertThat(share(results.stream().filter(h -> h.atMillis() > killedAt + 1000).toList(), "gw-c"))
        .isZero();
  }

  @Test
  void killedIpconfigFailsNoRequestAndAfterTheStaleAgeTheEdgePicksWeightedRandomOverTheLastList()
      throws Exception {
    startEdge(conf().staticGateways(List.of(a, b, c)).set("stale_age", "2"));
    publishAndAwait(List.of(Instance.of(a, 3), Instance.of(b, 1), Instance.of(c, 0)));
    assertThat(edge.status().path("mode").asString()).isEqualTo("p2c");

    long killedAt = System.currentTimeMillis();
    ipconfig.kill();
    List<Handshake> during = edge.handshakesUntil(killedAt + 2_500, 2);
    await()
        .atMost(Duration.ofSeconds(4))
        .until(() -> edge.status().path("mode").asString().equals("random"));
    List<Handshake> after = edge.handshakes(10_000, 4);

    assertThat(during).isNotEmpty().allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    assertThat(after).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    assertThat(share(after, "gw-a")).isBetween(0.725, 0.775);
    assertThat(share(after, "gw-b")).isBetween(0.225, 0.275);
    assertThat(share(after, "gw-c")).isZero();
    assertThat(edge.status().path("source").asString()).isEqualTo("ipconfig");
  }

  @Test
  void edgeWithNoListAtAllAnswersHandshakesWithABadGatewayProblem() throws Exception {
    ipconfig.kill();
    startEdge(conf().staticGateways(""));

    var response = edge.send("POST", "/v1/chat/handshake", "{}");

    assertThat(response.statusCode()).isEqualTo(502);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(response.body())
        .contains("\"type\":\"https://jindouyun.io/problems/gateway-unavailable\"");
    assertThat(nginx.errorLog()).contains("no gateway: the edge has no gateway list yet");
  }

  @Test
  void nginxRestartedWhileIpconfigIsDownRoutesBySavedList() throws Exception {
    // the static list names only gw-c: traffic to gw-a/gw-b after the restart proves the file
    EdgeConf conf = conf().staticGateways(List.of(c));
    startEdge(conf);
    long version = ipconfig.publish("score", List.of(Instance.of(a, 3), Instance.of(b, 1)));
    Path saved = nginx.prefix().resolve("best-list.json");
    Path other = nginx.prefix().resolve("best-list.json.1");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(Files.readString(saved) + Files.readString(other))
                    .withFailMessage(() -> "no saved list; error log:\n" + nginx.errorLog())
                    .contains("\"version\":\"" + version + "\""));

    ipconfig.kill();
    nginx.stop();
    startEdge(conf);

    assertThat(edge.status().path("source").asString()).isEqualTo("file");
    assertThat(edge.status().path("version").asString()).isEqualTo(Long.toString(version));
    List<Handshake> results = edge.handshakes(2_000, 4);
    assertThat(results).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    Map<String, Integer> split = EdgeClient.byNode(results);
    assertThat(split).containsOnlyKeys("gw-a", "gw-b");
    assertThat(share(results, "gw-a")).isBetween(0.70, 0.80);
    assertThat(c.count("handshake")).isZero();
  }
}
