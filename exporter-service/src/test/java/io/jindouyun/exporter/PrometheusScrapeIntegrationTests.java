package io.jindouyun.exporter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.testkit.Binaries;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** A real Prometheus (Debian package {@code prometheus}) scrapes a real exporter. */
@Timeout(90)
class PrometheusScrapeIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  @TempDir Path dir;

  @Test
  void promqlReturnsTheActiveStreamsOfABackend() throws Exception {
    Path binary = Binaries.require("prometheus", "prometheus");
    try (FakeBackend backend =
            new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-7", Duration.ofSeconds(2));
        RunningExporter exporter = new RunningExporter(etcd.endpoint(), "exporter-p")) {
      backend.activeStreams.set(23);
      int promPort = FreePorts.next();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: exporter
              # keep the exporter's own instance label (the backend), not the scrape address
              honor_labels: true
              metrics_path: /actuator/prometheus
              static_configs:
                - targets: ['127.0.0.1:%d']
          """
              .formatted(exporter.port()));
      Process prometheus =
          new ProcessBuilder(
                  List.of(
                      binary.toString(),
                      "--config.file=" + config,
                      "--storage.tsdb.path=" + dir.resolve("data"),
                      "--web.listen-address=127.0.0.1:" + promPort,
                      "--log.level=warn"))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("prometheus.log").toFile())
              .start();
      try {
        String api = "http://127.0.0.1:" + promPort + "/api/v1/";
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(250))
            .ignoreExceptions()
            .until(() -> get(api + "targets").contains("\"health\":\"up\""));

        String query =
            URLEncoder.encode(
                "jdy_backend_active_streams{service=\"stream-gateway\",instance=\"gw-7\"}",
                StandardCharsets.UTF_8);
        await()
            .atMost(Duration.ofSeconds(15))
            .pollInterval(Duration.ofMillis(250))
            .untilAsserted(
                () -> {
                  JsonNode result =
                      RunningExporter.JSON
                          .readTree(get(api + "query?query=" + query))
                          .path("data")
                          .path("result");
                  assertThat(result.size()).isEqualTo(1);
                  assertThat(result.get(0).path("value").get(1).asString()).isEqualTo("23");
                });
      } finally {
        prometheus.destroy();
        if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
          prometheus.destroyForcibly();
        }
      }
    }
  }

  private static String get(String url) throws IOException, InterruptedException {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }
}
