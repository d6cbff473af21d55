package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.edge.EdgeClient.Handshake;
import io.jindouyun.testkit.NginxExtension;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Issue 6, done-when 6 and 7: SSE unbuffered through the edge; stream/ack/cancel to the owner. */
@Timeout(60)
class EdgeStreamIntegrationTests {

  private static final long MS = 1_000_000L;

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EdgeStreamIntegrationTests.class);

  @RegisterExtension static final NginxExtension nginx = new NginxExtension();
  @RegisterExtension static final StandIns standIns = new StandIns(nginx);

  @BeforeAll
  static void publish() {
    standIns.publishAndAwait("score", standIns.weighted(1, 1, 1));
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  @Test
  void sseThroughTheEdgeArrivesAsSentWithTimeToFirstTokenWithinFiveMillisecondsOfDirect()
      throws Exception {
    StandInGateway a = standIns.a();
    a.stream(Duration.ofMillis(50), Duration.ofMillis(80), 4);
    String path = "/v1/chat/stream/gw-a~c3RyZWFtLWlkLWZvci10ZXN0";
    List<Long> direct = new ArrayList<>();
    List<Long> viaEdge = new ArrayList<>();
    SseProbe.Result last = null;
    for (int i = 0; i < 7; i++) {
      direct.add(SseProbe.get(a.port(), path).ttftNanos());
      last = SseProbe.get(nginx.port(), path);
      viaEdge.add(last.ttftNanos());
    }

    assertThat(last.done()).isTrue();
    assertThat(last.headers()).contains("content-type: text/event-stream");
    assertThat(last.headers()).noneMatch(h -> h.startsWith("content-encoding"));
    assertThat(last.headers()).noneMatch(h -> h.startsWith("content-length"));
    long gap = Math.abs(median(viaEdge) - median(direct));
    LOG.info(
        "TTFT median of 7: direct {} us, through the edge {} us",
        median(direct) / 1000,
        median(viaEdge) / 1000);
    assertThat(gap / (double) MS)
        .as("TTFT edge %s ms vs direct %s ms", median(viaEdge) / MS, median(direct) / MS)
        .isLessThan(5.0);
    // each chunk arrives when sent (80 ms apart), not bunched at the end
    List<Long> chunks = last.chunkNanos();
    assertThat(chunks).hasSize(4);
    for (int i = 1; i < chunks.size(); i++) {
      assertThat((chunks.get(i) - chunks.get(0)) / (double) MS)
          .as("chunk %d arrival after the first", i)
          .isBetween(i * 80 - 30.0, i * 80 + 30.0);
    }
  }

  @Test
  void streamAckAndCancelLandOnTheGatewayThatOwnsTheStreamAcrossThree() throws Exception {
    standIns.gateways().forEach(g -> g.stream(Duration.ZERO, Duration.ofMillis(1), 2));
    int[] before = new int[3];
    int[] foreignBefore = new int[3];
    for (int i = 0; i < 3; i++) {
      before[i] = standIns.gateways().get(i).count("handshake");
      foreignBefore[i] = standIns.gateways().get(i).count("foreign");
    }
    List<Handshake> handshakes = standIns.edge().handshakes(60, 3);
    assertThat(handshakes).allSatisfy(h -> assertThat(h.status()).isEqualTo(202));

    for (Handshake h : handshakes) {
      assertThat(h.streamId()).startsWith(h.node() + "~");
      HttpResponse<String> stream =
          standIns.edge().send("GET", "/v1/chat/stream/" + h.streamId(), null);
      assertThat(stream.statusCode()).isEqualTo(200);
      assertThat(stream.body()).contains("event: done");
      assertThat(
              standIns
                  .edge()
                  .send("POST", "/v1/chat/ack/" + h.streamId(), "{\"lastEventId\":\"1.1\"}")
                  .statusCode())
          .isEqualTo(204);
      assertThat(
              standIns.edge().send("DELETE", "/v1/chat/stream/" + h.streamId(), null).statusCode())
          .isEqualTo(202);
    }

    for (int i = 0; i < 3; i++) {
      StandInGateway g = standIns.gateways().get(i);
      long owned = handshakes.stream().filter(h -> g.id().equals(h.node())).count();
      assertThat(g.count("handshake") - before[i]).isEqualTo((int) owned);
      assertThat(owned).as("handshakes on %s", g.id()).isPositive();
      assertThat(g.count("foreign") - foreignBefore[i])
          .as("requests for streams %s does not own", g.id())
          .isZero();
    }
    assertThat(standIns.gateways().stream().mapToInt(g -> g.count("ack")).sum()).isEqualTo(60);
    assertThat(standIns.gateways().stream().mapToInt(g -> g.count("cancel")).sum()).isEqualTo(60);
  }

  @Test
  void aStreamTicketNeverReachesTheAccessLog() throws Exception {
    standIns.a().stream(Duration.ZERO, Duration.ofMillis(1), 1);
    String path = "/v1/chat/stream/gw-a~dGlja2V0LWluLXRoZS1sb2c";
    String ticket = "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRpY2tldA.c2lnbmF0dXJl";
    assertThat(
            standIns
                .edge()
                .send("GET", path + "?lastEventId=1.2&ticket=" + ticket + "&x=1", null)
                .statusCode())
        .isEqualTo(200);
    assertThat(standIns.edge().send("GET", path + "?ticket=" + ticket, null).statusCode())
        .isEqualTo(200);
    Path log = nginx.prefix().resolve("logs/access.log");
    await() // the log is buffered and flushed every second
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(Files.readString(log))
                    .contains("GET " + path + "?lastEventId=1.2&ticket=***&x=1 HTTP/1.1")
                    .contains("GET " + path + "?ticket=*** HTTP/1.1"));
    assertThat(Files.readString(log)).doesNotContain(ticket);
  }

  @Test
  void streamOfAnUnknownGatewayGoesToSomeGatewayWhichAnswersNotFound() throws Exception {
    int foreign = standIns.gateways().stream().mapToInt(g -> g.count("foreign")).sum();

    HttpResponse<String> response = standIns.edge().send("GET", "/v1/chat/stream/gw-zz~abc", null);

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(standIns.gateways().stream().mapToInt(g -> g.count("foreign")).sum())
        .isEqualTo(foreign + 1);
  }

  @Test
  void staticFolderIsServedAtTheRoot() throws Exception {
    HttpResponse<String> response = standIns.edge().send("GET", "/", null);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/html");
    assertThat(response.body())
        .contains("<title>Jindouyun chat</title>")
        .contains("<script type=\"module\" src=\"/js/chat.js\">");
  }
}
