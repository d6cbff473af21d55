package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
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
import java.util.stream.Collectors;

/**
 * A real Prometheus (Debian package {@code prometheus}) that scrapes {@code /actuator/prometheus}
 * of the given loopback ports every second, keeping the scraped {@code instance} labels ({@code
 * honor_labels}). Data and log live in a folder the caller owns. {@link #close()} stops it
 * (SIGTERM, bounded wait, then SIGKILL). Not thread-safe: one test thread drives it.
 */
public final class PrometheusServer implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final ManagedProcess process;
  private final int port;

  private PrometheusServer(ManagedProcess process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * Starts Prometheus scraping {@code http://127.0.0.1:<port>/actuator/prometheus} of each port.
   *
   * @param dir a folder for the config, the data and the log
   * @throws IllegalStateException naming the Debian package when the binary is missing
   */
  public static PrometheusServer start(Path dir, int... scrapePorts) {
    Path binary = Binaries.require("prometheus", "prometheus");
    String targets =
        java.util.Arrays.stream(scrapePorts)
            .mapToObj(p -> "'127.0.0.1:" + p + "'")
            .collect(Collectors.joining(", "));
    int port = FreePorts.next();
    try {
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          """
          global:
            scrape_interval: 1s
            evaluation_interval: 1s
          scrape_configs:
            - job_name: jindouyun
              # keep the scraped instance label (the backend), not the scrape address
              honor_labels: true
              metrics_path: /actuator/prometheus
              static_configs:
                - targets: [%s]
          """
              .formatted(targets));
      ManagedProcess process =
          new ManagedProcess(
              "prometheus",
              List.of(
                  binary.toString(),
                  "--config.file=" + config,
                  "--storage.tsdb.path=" + dir.resolve("data"),
                  "--web.listen-address=127.0.0.1:" + port,
                  "--log.level=warn"),
              dir.resolve("prometheus.log"));
      process.start();
      return new PrometheusServer(process, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The HTTP port. */
  public int port() {
    return port;
  }

  /** The base of the HTTP API, {@code http://127.0.0.1:<port>/api/v1/}. */
  public String api() {
    return "http://127.0.0.1:" + port + "/api/v1/";
  }

  /** Whether every configured target was scraped successfully at least once and is up now. */
  public boolean targetsUp() {
    try {
      String body = get(api() + "targets?state=active");
      return body.contains("\"health\":\"up\"")
          && !body.contains("\"health\":\"down\"")
          && !body.contains("\"health\":\"unknown\"");
    } catch (IOException e) {
      return false; // not listening yet
    }
  }

  /** The raw JSON answer of an instant PromQL query. */
  public String query(String promql) throws IOException {
    return get(api() + "query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
  }

  /** The last lines of Prometheus's log, for failure messages. */
  public String tail() {
    return process.tail(20);
  }

  private static String get(String url) throws IOException {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /** SIGTERM, a bounded wait, then SIGKILL. */
  @Override
  public void close() {
    process.stop();
  }
}
