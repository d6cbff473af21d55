package io.jindouyun.exporter;

import static io.jindouyun.exporter.RunningExporter.INTERVAL;
import static io.jindouyun.exporter.RunningExporter.metrics;
import static io.jindouyun.exporter.RunningExporter.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.MetricsJson;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * One real exporter against real etcd. The backends are {@link FakeBackend}s: the support library's
 * gRPC metrics server and registrar, fed by gauges the test moves.
 */
@Timeout(60)
@SuppressWarnings("try") // backends are opened for their side effects and closed at the end
class ExporterIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final Duration BACKEND_TTL = Duration.ofSeconds(2);
  private static final int JUNK_PORT = FreePorts.next();
  private static final int HUNG_PORT = FreePorts.next();
  private static final AtomicInteger junkAccepts = new AtomicInteger();
  private static final AtomicInteger hungAccepts = new AtomicInteger();
  private static final List<Socket> hungSockets = new CopyOnWriteArrayList<>();
  private static final ListAppender<ILoggingEvent> streamLog = new ListAppender<>();
  private static ServerSocket junkServer;
  private static ServerSocket hungServer;
  private static RunningExporter exporter;

  @BeforeAll
  static void startExporter() throws IOException {
    junkServer = new ServerSocket(JUNK_PORT, 50, InetAddress.getLoopbackAddress());
    hungServer = new ServerSocket(HUNG_PORT, 50, InetAddress.getLoopbackAddress());
    daemon("junk-server", () -> serveJunk(junkServer));
    daemon("hung-server", () -> serveNothing(hungServer));
    exporter =
        new RunningExporter(
            etcd.endpoint(),
            "exporter-1",
            "jindouyun.exporter.static-targets[0]=junk/j1@127.0.0.1:" + JUNK_PORT,
            "jindouyun.exporter.static-targets[1]=hung/h1@127.0.0.1:" + HUNG_PORT);
    // after Spring Boot has set logging up (it resets logback's appenders)
    streamLog.start();
    ((Logger) LoggerFactory.getLogger("io.jindouyun.exporter.pull.TargetStream"))
        .addAppender(streamLog);
    await().atMost(Duration.ofSeconds(10)).until(exporter::leading);
  }

  private static void daemon(String name, Runnable body) {
    Thread thread = new Thread(body, name);
    thread.setDaemon(true);
    thread.start();
  }

  @AfterAll
  static void stop() throws IOException {
    exporter.close();
    junkServer.close();
    hungServer.close();
    for (Socket s : hungSockets) {
      s.close();
    }
  }

  private static void serveJunk(ServerSocket server) {
    while (!server.isClosed()) {
      try (Socket socket = server.accept()) {
        junkAccepts.incrementAndGet();
        OutputStream out = socket.getOutputStream();
        out.write(
            "HTTP/1.0 200 OK\r\n\r\nthis is not gRPC\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (IOException e) {
        // closed
      }
    }
  }

  private static void serveNothing(ServerSocket server) {
    while (!server.isClosed()) {
      try {
        Socket socket = server.accept();
        hungAccepts.incrementAndGet();
        hungSockets.add(socket);
      } catch (IOException e) {
        // closed
      }
    }
  }

  @Test
  void bothBackendsMetricsKeysAppearWithinTwoIntervalsAndFollowTheLoad() throws Exception {
    try (FakeBackend gw1 = new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-1", BACKEND_TTL);
        FakeBackend gw2 = new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-2", BACKEND_TTL)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  read(etcd.client(), EtcdKeys.DEFAULT.instanceKey("stream-gateway", "gw-1"))
                          != null
                      && read(etcd.client(), EtcdKeys.DEFAULT.instanceKey("stream-gateway", "gw-2"))
                          != null);
      long registeredAt = System.nanoTime();

      await()
          .atMost(INTERVAL.multipliedBy(2))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () ->
                  metrics(etcd.client(), "stream-gateway", "gw-1") != null
                      && metrics(etcd.client(), "stream-gateway", "gw-2") != null);
      assertThat(Duration.ofNanos(System.nanoTime() - registeredAt))
          .isLessThanOrEqualTo(INTERVAL.multipliedBy(2));

      JsonNode json = metrics(etcd.client(), "stream-gateway", "gw-1");
      assertThat(json.propertyNames()).containsAll(MetricsJson.FIELDS);
      assertThat(json.get("service").asString()).isEqualTo("stream-gateway");
      assertThat(json.get("instanceId").asString()).isEqualTo("gw-1");
      assertThat(json.get("activeStreams").asLong()).isZero();
      assertThat(
              read(etcd.client(), EtcdKeys.DEFAULT.metricsKey("stream-gateway", "gw-1")).getLease())
          .isNotZero();

      gw1.activeStreams.set(12);
      gw2.inFlight.set(3);
      await()
          .atMost(INTERVAL.multipliedBy(3))
          .untilAsserted(
              () -> {
                assertThat(
                        metrics(etcd.client(), "stream-gateway", "gw-1")
                            .get("activeStreams")
                            .asLong())
                    .isEqualTo(12);
                assertThat(
                        metrics(etcd.client(), "stream-gateway", "gw-2")
                            .get("requestsInFlight")
                            .asLong())
                    .isEqualTo(3);
              });
      gw1.activeStreams.set(40);
      gw1.handshakesInFlight.set(5);
      await()
          .atMost(INTERVAL.multipliedBy(3))
          .until(
              () ->
                  metrics(etcd.client(), "stream-gateway", "gw-1").get("activeStreams").asLong()
                      == 40);
      await()
          .atMost(INTERVAL.multipliedBy(3))
          .untilAsserted(
              () ->
                  assertThat(exporter.scrape().lines())
                      .anyMatch(
                          l ->
                              l.startsWith("jdy_backend_active_streams{")
                                  && l.contains("backend_instance=\"gw-1\"")
                                  && l.contains("backend_service=\"stream-gateway\"")
                                  && l.endsWith(" 40.0"))
                      .anyMatch(
                          l ->
                              l.startsWith("jdy_backend_handshakes_in_flight{")
                                  && l.contains("backend_instance=\"gw-1\"")
                                  && l.endsWith(" 5.0"))
                      .anyMatch(
                          l ->
                              l.startsWith("jdy_backend_eventloop_lag_seconds{")
                                  && l.contains("backend_instance=\"gw-1\"")
                                  && l.endsWith(" -1.0"))
                      .anyMatch(
                          l ->
                              l.startsWith("jdy_backend_requests_total{")
                                  && l.contains("backend_instance=\"gw-1\""))
                      .noneMatch(l -> l.contains("_milliseconds") || l.contains(",instance=\"")));
      await()
          .atMost(INTERVAL.multipliedBy(3))
          .until(
              () ->
                  metrics(etcd.client(), "stream-gateway", "gw-1")
                          .get("handshakesInFlight")
                          .asLong()
                      == 5);
    }
  }

  @Test
  void aKilledBackendLosesItsInstanceKeyThenItsMetricsKeyAndItsPrometheusSeries() throws Exception {
    FakeBackend doomed = new FakeBackend(etcd.endpoint(), "llm-consumer", "c-9", BACKEND_TTL);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                metrics(etcd.client(), "llm-consumer", "c-9") != null
                    && exporter.scrape().contains("instance=\"c-9\""));

    doomed.kill();
    long killedAt = System.nanoTime();

    await()
        .atMost(BACKEND_TTL.plusSeconds(1))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> read(etcd.client(), EtcdKeys.DEFAULT.instanceKey("llm-consumer", "c-9")) == null);
    assertThat(Duration.ofNanos(System.nanoTime() - killedAt))
        .isLessThan(BACKEND_TTL.plusSeconds(1));
    await()
        .atMost(INTERVAL.multipliedBy(2))
        .until(
            () -> read(etcd.client(), EtcdKeys.DEFAULT.metricsKey("llm-consumer", "c-9")) == null);
    await()
        .atMost(INTERVAL.multipliedBy(2))
        .until(() -> !exporter.scrape().contains("instance=\"c-9\""));
  }

  @Test
  void garbageAndHungTargetsAreTimedOutLoggedAndRetriedWithoutStallingOthers() throws Exception {
    try (FakeBackend good =
        new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-ok", BACKEND_TTL)) {
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> metrics(etcd.client(), "stream-gateway", "gw-ok") != null);

      // while the bad targets keep failing and being retried, the good one is written every
      // interval
      long first = metrics(etcd.client(), "stream-gateway", "gw-ok").get("timestampMs").asLong();
      int junkBefore = junkAccepts.get();
      int hungBefore = hungAccepts.get();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                assertThat(junkAccepts.get() - junkBefore).isGreaterThanOrEqualTo(2);
                assertThat(hungAccepts.get() - hungBefore).isGreaterThanOrEqualTo(1);
                assertThat(exporter.counter("jdy.exporter.streams.failures", "reason", "idle"))
                    .isGreaterThanOrEqualTo(1);
                assertThat(
                        metrics(etcd.client(), "stream-gateway", "gw-ok")
                                .get("timestampMs")
                                .asLong()
                            - first)
                    .isGreaterThanOrEqualTo(INTERVAL.toMillis() * 3);
              });
      long last = metrics(etcd.client(), "stream-gateway", "gw-ok").get("timestampMs").asLong();
      assertThat(System.currentTimeMillis() - last).isLessThan(INTERVAL.toMillis() * 3);
      assertThat(metrics(etcd.client(), "junk", "j1")).isNull();
      assertThat(metrics(etcd.client(), "hung", "h1")).isNull();
      assertThat(streamLog.list)
          .extracting(ILoggingEvent::getFormattedMessage)
          .anyMatch(m -> m.startsWith("metrics stream of junk/j1@") && m.contains("failed"))
          .anyMatch(
              m -> m.startsWith("metrics stream of hung/h1@") && m.contains("hung: no snapshot"));
      assertThat(exporter.scrape().lines())
          .anyMatch(
              l ->
                  l.startsWith("jdy_backend_up{")
                      && l.contains("backend_instance=\"h1\"")
                      && l.endsWith(" 0.0"));
    }
  }
}
