package io.jindouyun.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.jindouyun.gateway.metrics.EventLoopLagProbe;
import io.jindouyun.proto.metrics.v1.GetRequest;
import io.jindouyun.proto.metrics.v1.MetricsServiceGrpc;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.jindouyun.support.metrics.MetricsGrpcServer;
import io.jindouyun.testkit.KafkaExtension;
import io.netty.util.concurrent.EventExecutor;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.server.WebFilter;

/**
 * The signals that predict a chat's time to first token, read the way the exporter reads them: from
 * the gateway's gRPC {@code MetricsService}, with a real broker behind the handshakes.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.instance.id=gw-signals",
      "jindouyun.metrics.grpc-port=0",
      "jindouyun.etcd.endpoints=",
      "jindouyun.gateway.kafka.reply-partition=0",
      "jindouyun.gateway.metrics.loop-probe-period=50ms"
    })
@AutoConfigureWebTestClient(timeout = "20s")
@Timeout(60)
class SignalsIntegrationTests {

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  @Autowired WebTestClient client;
  @Autowired MetricsGrpcServer metrics;
  @Autowired EventLoopLagProbe probe;
  @LocalServerPort int httpPort;
  private ManagedChannel channel;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", kafka::bootstrapServers);
  }

  @BeforeAll
  static void topics() {
    kafka.createTopics(1, "chat.jobs", "chat.replies", "chat.control");
  }

  @BeforeEach
  void connect() {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", metrics.port()).usePlaintext().build();
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private MetricsSnapshot snapshot() {
    return MetricsServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(5, TimeUnit.SECONDS)
        .get(GetRequest.getDefaultInstance());
  }

  @Test
  void handshakesShowTheirServiceTimeAndTheLoopsTheirLag() {
    snapshot(); // the next Get's averages start here
    ChatClient chats = new ChatClient(client);
    for (int i = 0; i < 3; i++) {
      chats.cancel("sig-" + i, chats.handshake("sig-" + i, "hello " + i).streamId());
    }
    chats.postHandshake(null, ChatClient.body("no token")).expectStatus().isUnauthorized();

    MetricsSnapshot s = snapshot();

    assertThat(s.getIntervalMs()).isPositive();
    assertThat(s.getAvgHandshakeMs()).isPositive();
    assertThat(s.getHandshakesInFlight()).isZero();
    assertThat(s.getEventLoopLagMs()).isBetween(0.0, 1_000.0);
    assertThat(s.getGcPauseMsPerS()).isGreaterThanOrEqualTo(0);
    assertThat(s.getCpuThrottled()).isBetween(-1.0, 1.0);
  }

  @Test
  void aHandshakeWaitingForItsBodyIsInFlightUntilItEnds() throws Exception {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", httpPort), 5_000);
      socket.setSoTimeout(5_000);
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/chat/handshake HTTP/1.1\r\n"
                  + "Host: 127.0.0.1\r\n"
                  + "Authorization: "
                  + ChatClient.bearer("slow-body")
                  + "\r\n"
                  + "Content-Type: application/json\r\n"
                  + "Content-Length: 200\r\n\r\n{")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(snapshot().getHandshakesInFlight()).isEqualTo(1));
    }

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(snapshot().getHandshakesInFlight()).isZero());
  }

  @Test
  void theProbedLoopsAreTheHttpServersLoops() throws Exception {
    List<String> probed = new ArrayList<>();
    for (EventExecutor loop : probe.loops()) {
      probed.add(loop.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS));
    }
    ChatClient chats = new ChatClient(client);
    for (int i = 0; i < 4; i++) {
      chats.postHandshake(null, ChatClient.body("no token")).expectStatus().isUnauthorized();
    }

    assertThat(RequestThreads.SEEN).isNotEmpty();
    assertThat(probed).containsAll(RequestThreads.SEEN);
  }

  /** Notes the threads that serve HTTP requests (test wiring only). */
  @TestConfiguration
  static class RequestThreads {
    static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    @Bean
    WebFilter requestThreadRecorder() {
      return (exchange, chain) -> {
        SEEN.add(Thread.currentThread().getName());
        return chain.filter(exchange);
      };
    }
  }

  @Test
  void anEventLoopBlockedFor300MillisecondsShowsALagOfAtLeast200() {
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(() -> assertThat(snapshot().getEventLoopLagMs()).isBetween(0.0, 199.0));

    probe.loops().next().execute(() -> busyWait(Duration.ofMillis(300)));

    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .untilAsserted(
            () -> assertThat(snapshot().getEventLoopLagMs()).isGreaterThanOrEqualTo(200));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(snapshot().getEventLoopLagMs()).isLessThan(200));
  }

  /** Keeps the calling thread busy (as a CPU-bound handler would) for {@code time}. */
  private static void busyWait(Duration time) {
    long end = System.nanoTime() + time.toNanos();
    while (System.nanoTime() < end) {
      Thread.onSpinWait();
    }
  }
}
