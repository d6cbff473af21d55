package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.testkit.CpuQuota;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * A sick gateway, for real: the whole metrics plane runs (two stream-gateways, the exporter writing
 * their snapshots to etcd every second, ipconfig ranking them, an llm-consumer and the dev LLM) and
 * the edge routes a steady flow of chats by ipconfig's list. Then gw-2's CPU is cut to 10% of one
 * core with a cgroup v1 cpu quota (where this machine lets us write one; otherwise gw-2 is paused
 * by SIGSTOP bursts, 400 ms in every second):
 *
 * <ul>
 *   <li>ipconfig's {@code /v1/best} gives gw-2 less than half the best weight within 5 s;
 *   <li>through the edge, gw-2's share of the handshakes falls below half its fair share while the
 *       fault lasts;
 *   <li>once the fault ends, gw-2 gets its weight back: above half the best again (on a 2-core
 *       machine running the whole suite, two healthy gateways' weights differ by up to ~25%).
 * </ul>
 */
@Timeout(300)
class SickGatewayIntegrationTests {

  private static final Logger LOG = LoggerFactory.getLogger(SickGatewayIntegrationTests.class);

  /** Chats started per second through the edge: well inside what two healthy gateways serve. */
  private static final int CHATS_PER_SECOND = 10;

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static final List<JavaService> services = new ArrayList<>();
  static final List<JavaService> gateways = new ArrayList<>();
  static int ipconfigPort;

  /** Handshakes answered through the edge: {arrival millis, 1 when gw-2 took it}. */
  static final ConcurrentLinkedDeque<long[]> answered = new ConcurrentLinkedDeque<>();

  static final AtomicInteger failures = new AtomicInteger();
  static ScheduledExecutorService clock;
  static ThreadPoolExecutor chats;

  @BeforeAll
  static void start() {
    RealSuite.createTopics(kafka);
    int llmPort = FreePorts.next();
    services.add(
        JavaService.start(
            "dev-llm",
            "dev-llm",
            Map.of(),
            List.of("--port=" + llmPort, "--ttft-ms=50", "--token-delay-ms=20", "--tokens=8")));
    ipconfigPort = FreePorts.next();
    services.add(RealSuite.startIpconfig(ipconfigPort, etcd));
    services.add(
        JavaService.start(
            "exporter",
            "exporter-service",
            Map.of(),
            List.of(
                "--server.port=" + FreePorts.next(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.exporter.interval=1s",
                "--jindouyun.exporter.lease-ttl=3s")));
    StringBuilder statics = new StringBuilder();
    for (int i = 0; i < 2; i++) {
      int port = FreePorts.next();
      String id = "gw-" + (i + 1);
      JavaService gateway = RealSuite.startGateway(id, port, etcd, kafka);
      gateways.add(gateway);
      services.add(gateway);
      statics.append(i == 0 ? "" : " ").append(id).append("=127.0.0.1:").append(port);
    }
    services.add(RealSuite.startConsumer(etcd, kafka, "http://127.0.0.1:" + llmPort));
    RealSuite.awaitRegistered(services, ipconfigPort, "gw-1", "gw-2");
    RealSuite.startEdge(
        nginx,
        new EdgeConf()
            .ipconfig("http://127.0.0.1:" + ipconfigPort)
            .staticGateways(statics.toString())
            .set("poll_wait", "5"));
    startLoad();
  }

  @AfterAll
  static void stop() throws Exception {
    if (clock != null) {
      clock.shutdownNow();
      chats.shutdownNow();
      chats.awaitTermination(15, TimeUnit.SECONDS);
    }
    nginx.stop();
    services.forEach(JavaService::close);
  }

  /** Starts CHATS_PER_SECOND chats a second, each from a new user, read to its end via the edge. */
  private static void startLoad() {
    AtomicLong n = new AtomicLong();
    chats =
        new ThreadPoolExecutor(
            32,
            32,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(512),
            new ThreadPoolExecutor.DiscardPolicy());
    clock = Executors.newSingleThreadScheduledExecutor();
    clock.scheduleAtFixedRate(
        () -> chats.execute(() -> chat("sick-" + n.incrementAndGet())),
        0,
        1000 / CHATS_PER_SECOND,
        TimeUnit.MILLISECONDS);
  }

  private static void chat(String user) {
    try {
      long start = System.nanoTime();
      HttpResponse<String> handshake = RealSuite.handshake(nginx.port(), user);
      if (handshake.statusCode() != 202) {
        failures.incrementAndGet();
        return;
      }
      answered.addLast(
          new long[] {
            System.currentTimeMillis(), "gw-2".equals(RealSuite.node(handshake)) ? 1 : 0
          });
      RealSuite.stream(nginx.port(), user, RealSuite.streamId(handshake), start);
    } catch (Exception e) {
      failures.incrementAndGet();
    }
  }

  /** gw-2's share of the handshakes answered in the last {@code window}; NaN when fewer than 10. */
  private static double recentShareOfGw2(Duration window) {
    long since = System.currentTimeMillis() - window.toMillis();
    long total = 0;
    long gw2 = 0;
    for (var it = answered.descendingIterator(); it.hasNext(); ) {
      long[] a = it.next();
      if (a[0] < since) {
        break;
      }
      total++;
      gw2 += a[1];
    }
    return total < 10 ? Double.NaN : gw2 / (double) total;
  }

  /** Instance id to weight in ipconfig's best list now. */
  private static Map<String, Integer> weights() throws Exception {
    HttpResponse<String> response =
        RealSuite.http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ipconfigPort + "/v1/best/stream-gateway"))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Map<String, Integer> weights = new TreeMap<>();
    for (JsonNode i : EdgeClient.JSON.readTree(response.body()).path("instances")) {
      weights.put(i.path("id").asString(), i.path("weight").asInt());
    }
    return weights;
  }

  private static String scores() throws Exception {
    return RealSuite.http
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + ipconfigPort + "/v1/scores/stream-gateway"))
                .timeout(Duration.ofSeconds(2))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  /** A fault on one process: a CPU quota where the cgroup is writable, else SIGSTOP bursts. */
  private interface Fault extends AutoCloseable {
    void begin();

    void end();

    @Override
    void close();
  }

  private static Fault faultOn(JavaService gateway) {
    if (CpuQuota.available()) {
      CpuQuota quota = CpuQuota.create().add(gateway.pid());
      return new Fault() {
        @Override
        public void begin() {
          quota.limit(0.10);
        }

        @Override
        public void end() {
          quota.unlimit();
        }

        @Override
        public void close() {
          quota.close();
        }

        @Override
        public String toString() {
          return "cpu quota 10% of a core";
        }
      };
    }
    ScheduledExecutorService bursts = Executors.newSingleThreadScheduledExecutor();
    return new Fault() {
      private java.util.concurrent.ScheduledFuture<?> task;

      @Override
      public void begin() {
        task =
            bursts.scheduleAtFixedRate(
                () -> {
                  gateway.signal("STOP");
                  try {
                    Thread.sleep(400); // the burst's length, not a wait for a condition
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  } finally {
                    gateway.signal("CONT");
                  }
                },
                0,
                1000,
                TimeUnit.MILLISECONDS);
      }

      @Override
      public void end() {
        task.cancel(false);
        gateway.signal("CONT");
      }

      @Override
      public void close() {
        bursts.shutdownNow();
        gateway.signal("CONT");
      }

      @Override
      public String toString() {
        return "SIGSTOP bursts of 400 ms every second";
      }
    };
  }

  @Test
  void aStarvedGatewayLosesWeightWithinFiveSecondsAndTrafficAtTheEdgeThenGetsItBack()
      throws Exception {
    // healthy: both listed, gw-2 not far below the best, traffic split
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              Map<String, Integer> w = weights();
              assertThat(w).containsOnlyKeys("gw-1", "gw-2");
              assertThat(w.get("gw-2")).isGreaterThanOrEqualTo(w.get("gw-1") * 8 / 10);
              assertThat(w.get("gw-1")).isGreaterThanOrEqualTo(w.get("gw-2") * 8 / 10);
              assertThat(recentShareOfGw2(Duration.ofSeconds(3))).isBetween(0.3, 0.7);
            });
    LOG.info(
        "healthy: weights {}, gw-2 share {}", weights(), recentShareOfGw2(Duration.ofSeconds(3)));

    try (Fault fault = faultOn(gateways.get(1))) {
      long began = System.nanoTime();
      fault.begin();
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () -> {
                Map<String, Integer> w = weights();
                assertThat(w.get("gw-2") * 2).as("weights %s", w).isLessThan(w.get("gw-1"));
              });
      long weightDown = (System.nanoTime() - began) / 1_000_000;
      await()
          .atMost(Duration.ofSeconds(10))
          .pollInterval(Duration.ofMillis(100))
          .untilAsserted(
              () -> assertThat(recentShareOfGw2(Duration.ofSeconds(2))).isLessThan(0.25));
      long shareDown = (System.nanoTime() - began) / 1_000_000;
      LOG.info(
          "{} on gw-2: weight below half the best after {} ms ({}), edge share below half its fair"
              + " share after {} ms; scores {}",
          fault,
          weightDown,
          weights(),
          shareDown,
          scores());

      fault.end();
      long ended = System.nanoTime();
      await()
          .atMost(Duration.ofSeconds(45))
          .pollInterval(Duration.ofMillis(250))
          .untilAsserted(
              () -> {
                Map<String, Integer> w = weights();
                assertThat(w.get("gw-2") * 2).as("weights %s", w).isGreaterThan(w.get("gw-1"));
              });
      LOG.info(
          "fault ended: gw-2's weight back above half the best after {} ms ({}); {} chats failed",
          (System.nanoTime() - ended) / 1_000_000,
          weights(),
          failures.get());
    }
  }
}
