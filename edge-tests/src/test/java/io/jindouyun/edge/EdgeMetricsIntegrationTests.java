package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.edge.EdgeClient.Handshake;
import io.jindouyun.edge.StandInIpconfig.Instance;
import io.jindouyun.testkit.NginxExtension;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code GET /_edge/metrics}: the edge's own counters and list gauges in Prometheus' text format,
 * scraped after real traffic through the real nginx.conf.
 */
@Timeout(60)
class EdgeMetricsIntegrationTests {

  @RegisterExtension final NginxExtension nginx = new NginxExtension();

  private final List<AutoCloseable> closeables = new ArrayList<>();
  private EdgeClient edge;

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

  private void startEdge(EdgeConf conf) {
    nginx.start(conf.set("metrics_flush", "0.05").text(), conf.values());
    edge = new EdgeClient(nginx.port());
  }

  @Test
  void requestsRetriesDownMarksAndErrorsPerGatewayAreCountedAndTheListIsDescribed()
      throws Exception {
    StandInIpconfig ipconfig = track(new StandInIpconfig());
    StandInGateway a = track(new StandInGateway("gw-a"));
    StandInGateway b = track(new StandInGateway("gw-b"));
    startEdge(
        new EdgeConf()
            .ipconfig(ipconfig.url())
            .set("poll_wait", "5")
            .staticGateways(List.of(a, b)));
    long version = ipconfig.publish("score", List.of(Instance.of(a, 1), Instance.of(b, 1)));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> edge.status().path("version").asString().equals(Long.toString(version)));

    List<Handshake> before = edge.handshakes(40, 2);
    b.kill();
    List<Handshake> after = edge.handshakes(40, 2);
    a.kill();
    HttpResponse<String> failed = edge.send("POST", "/v1/chat/handshake", "{}");

    assertThat(before).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    assertThat(after).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));
    assertThat(failed.statusCode()).isEqualTo(502);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              Map<String, Double> m = scrape();
              assertThat(
                      m.getOrDefault("jdy_edge_requests_total{gateway=\"gw-a\"}", 0.0)
                          + m.getOrDefault("jdy_edge_requests_total{gateway=\"gw-b\"}", 0.0))
                  .isEqualTo(81.0);
              assertThat(m.get("jdy_edge_requests_total{gateway=\"gw-b\"}"))
                  .isGreaterThan(0.0)
                  .isLessThan(40.0);
              assertThat(m.get("jdy_edge_retries_total{gateway=\"gw-b\"}")).isPositive();
              assertThat(m.get("jdy_edge_down_marks_total{gateway=\"gw-b\"}")).isPositive();
              assertThat(m.get("jdy_edge_down_marks_total{gateway=\"gw-a\"}")).isPositive();
              assertThat(
                      m.getOrDefault("jdy_edge_errors_total{gateway=\"gw-a\"}", 0.0)
                          + m.getOrDefault("jdy_edge_errors_total{gateway=\"gw-b\"}", 0.0))
                  .isEqualTo(1.0);
              assertThat(m).containsEntry("jdy_edge_gateway_down{gateway=\"gw-b\"}", 1.0);
              assertThat(m).containsEntry("jdy_edge_list_source{source=\"ipconfig\"}", 1.0);
              assertThat(m).containsEntry("jdy_edge_list_source{source=\"static\"}", 0.0);
              assertThat(m).containsEntry("jdy_edge_list_instances", 2.0);
              assertThat(m.get("jdy_edge_list_age_seconds")).isBetween(0.0, 10.0);
            });
  }

  @Test
  void anEdgeWithNoListCountsTheRequestsNoGatewayCouldTake() throws Exception {
    StandInIpconfig ipconfig = track(new StandInIpconfig());
    ipconfig.kill();
    startEdge(new EdgeConf().ipconfig(ipconfig.url()).staticGateways(""));

    assertThat(edge.send("POST", "/v1/chat/handshake", "{}").statusCode()).isEqualTo(502);
    assertThat(edge.send("POST", "/v1/chat/handshake", "{}").statusCode()).isEqualTo(502);

    Map<String, Double> m = scrape();
    assertThat(m).containsEntry("jdy_edge_no_gateway_total", 2.0);
    assertThat(m).containsEntry("jdy_edge_list_instances", 0.0);
    assertThat(m).containsEntry("jdy_edge_list_source{source=\"ipconfig\"}", 0.0);
    assertThat(m).doesNotContainKey("jdy_edge_list_age_seconds");
  }

  @Test
  void theMetricsAreForLoopbackOnlyAndInPrometheusTextFormat() throws Exception {
    StandInIpconfig ipconfig = track(new StandInIpconfig());
    startEdge(new EdgeConf().ipconfig(ipconfig.url()).staticGateways(""));

    HttpResponse<String> response = edge.send("GET", "/_edge/metrics", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type"))
        .hasValueSatisfying(type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
    assertThat(response.body())
        .contains("# TYPE jdy_edge_requests_total counter\n")
        .contains("# TYPE jdy_edge_list_age_seconds gauge\n")
        .endsWith("\n");
    assertThat(EdgeConf.openresty().resolve("nginx.conf"))
        .content()
        .containsOnlyOnce("allow 127.0.0.1; # scrapers")
        .contains("location = /_edge/metrics {\n            allow 127.0.0.1; # scrapers");
  }

  /** The scrape as series (name and labels as written) to value; comments left out. */
  private Map<String, Double> scrape() throws Exception {
    HttpResponse<String> response = edge.send("GET", "/_edge/metrics", null);
    assertThat(response.statusCode()).isEqualTo(200);
    Map<String, Double> series = new LinkedHashMap<>();
    response
        .body()
        .lines()
        .filter(line -> !line.isBlank() && !line.startsWith("#"))
        .forEach(
            line -> {
              int space = line.lastIndexOf(' ');
              series.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            });
    return series;
  }
}
