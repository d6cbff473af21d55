package io.jindouyun.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.PrometheusServer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A real Prometheus (Debian package {@code prometheus}) scrapes a real exporter. */
@Timeout(90)
class PrometheusScrapeIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  @TempDir Path dir;

  @Test
  void promqlReturnsTheActiveStreamsOfABackendLabelledWithoutCollidingWithTargetLabels()
      throws Exception {
    try (FakeBackend backend =
            new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-7", Duration.ofSeconds(2));
        RunningExporter exporter = new RunningExporter(etcd.endpoint(), "exporter-p");
        PrometheusServer prometheus = PrometheusServer.start(dir, exporter.port())) {
      backend.activeStreams.set(23);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(250))
          .until(prometheus::targetsUp);

      await()
          .atMost(Duration.ofSeconds(15))
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(
              () -> {
                JsonNode result =
                    RunningExporter.JSON
                        .readTree(
                            prometheus.query(
                                "jdy_backend_active_streams"
                                    + "{backend_service=\"stream-gateway\","
                                    + "backend_instance=\"gw-7\"}"))
                        .path("data")
                        .path("result");
                assertThat(result.size()).isEqualTo(1);
                assertThat(result.get(0).path("value").get(1).asString()).isEqualTo("23");
                JsonNode labels = result.get(0).path("metric");
                assertThat(labels.path("instance").asString())
                    .as("the scraped target's own label")
                    .isEqualTo("127.0.0.1:" + exporter.port());
                assertThat(labels.propertyNames()).noneMatch(name -> name.startsWith("exported_"));
              });
    }
  }
}
