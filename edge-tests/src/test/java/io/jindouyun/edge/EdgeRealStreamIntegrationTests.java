package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 6 Done-when 6 on the real pipeline ({@link RealFleet}: etcd, Kafka, ipconfig-service, two
 * stream-gateways and an llm-consumer, exec jars, each its own JVM, and the development LLM) behind
 * nginx with the real configuration. Every round is one chat (handshake alternately through the
 * edge and straight to a gateway) read by two readers at once, one through the edge and one
 * straight from the owning gateway: the time to first token through the edge (handshake to first
 * chunk) is within 5 ms of the direct one (medians over the rounds), and the chunks arrive through
 * the edge spaced by the LLM's token delay as they do directly, not bunched.
 *
 * <p>Why one chat read twice: on this shared 2-core machine the pipeline (Kafka both ways, the
 * consumer, the LLM) varies by tens of ms from one chat to the next, far more than the 5 ms asked;
 * two readers of the same chat see the same chunks leave the gateway, so what differs is only the
 * path. The whole-path TTFT of alternate rounds (handshake and reader on the same path) is logged.
 */
@Timeout(240)
@Order(3)
class EdgeRealStreamIntegrationTests {

  private static final org.slf4j.Logger LOG =
      org.slf4j.LoggerFactory.getLogger(EdgeRealStreamIntegrationTests.class);
  private static final long MS = 1_000_000L;
  private static final int TTFT_MS = 100;
  private static final int TOKEN_DELAY_MS = 60;
  private static final int TOKENS = 6;
  private static final int ROUNDS = 24;

  @RegisterExtension static final RealFleet fleet = new RealFleet();

  /** The development LLM's timing for these chats, from the prompt. */
  private static final String PROMPT =
      "Tell me a short story [dev:ttft="
          + TTFT_MS
          + "] [dev:delay="
          + TOKEN_DELAY_MS
          + "] [dev:tokens="
          + TOKENS
          + "]";

  /** One round: the gateway, where the handshake went, and what each reader got. */
  record Round(
      String node, boolean handshakeViaEdge, SseProbe.Result viaEdge, SseProbe.Result direct) {}

  /**
   * One chat: the handshake through the edge or straight to {@code gatewayPort}, then two readers
   * of its stream at once, through the edge and straight from the owner; times from the handshake.
   */
  private static Round round(
      ExecutorService pool, String user, boolean handshakeViaEdge, int gatewayPort)
      throws Exception {
    long start = System.nanoTime();
    HttpResponse<String> handshake =
        RealSuite.handshake(handshakeViaEdge ? fleet.port() : gatewayPort, user, PROMPT);
    assertThat(handshake.statusCode()).as(handshake.body()).isEqualTo(202);
    String node = RealSuite.node(handshake);
    int owner = fleet.gatewayPort(node.equals("gw-1") ? 0 : 1);
    String streamId = RealSuite.streamId(handshake);
    Future<SseProbe.Result> viaEdge =
        pool.submit(() -> RealSuite.stream(fleet.port(), user, streamId, start));
    Future<SseProbe.Result> direct =
        pool.submit(() -> RealSuite.stream(owner, user, streamId, start));
    Round round =
        new Round(
            node,
            handshakeViaEdge,
            viaEdge.get(30, TimeUnit.SECONDS),
            direct.get(30, TimeUnit.SECONDS));
    assertThat(round.viaEdge().done()).as("stream of %s through the edge ends", user).isTrue();
    assertThat(round.direct().done()).as("stream of %s straight ends", user).isTrue();
    return round;
  }

  private static long median(List<Long> values) {
    List<Long> sorted = new ArrayList<>(values);
    sorted.sort(null);
    return sorted.get(sorted.size() / 2);
  }

  private static List<Long> gaps(SseProbe.Result result) {
    List<Long> gaps = new ArrayList<>();
    List<Long> chunks = result.chunkNanos();
    for (int i = 1; i < chunks.size(); i++) {
      gaps.add(chunks.get(i) - chunks.get(i - 1));
    }
    return gaps;
  }

  @Test
  void sseThroughTheEdgeHasTheTtftOfTheDirectPathAndChunksArriveAsTheLlmSendsThem()
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<Round> rounds = new ArrayList<>();
    try {
      // warm up (unreported): the consumer joins its group, young JVMs compile the paths
      int[] warm = {0};
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(200))
          .ignoreExceptions()
          .untilAsserted(
              () ->
                  assertThat(round(pool, "warm-" + warm[0]++, true, fleet.gatewayPort(0)))
                      .isNotNull());
      for (int i = 0; i < 6; i++) {
        round(pool, "warm-more-" + i, i % 2 == 0, fleet.gatewayPort(i % 2));
      }
      for (int i = 0; i < ROUNDS; i++) {
        rounds.add(round(pool, "sse-" + i, i % 2 == 0, fleet.gatewayPort((i / 2) % 2)));
      }
    } finally {
      pool.shutdownNow();
    }

    List<Long> viaEdge = rounds.stream().map(r -> r.viaEdge().ttftNanos()).toList();
    List<Long> direct = rounds.stream().map(r -> r.direct().ttftNanos()).toList();
    List<Long> differences =
        rounds.stream().map(r -> r.viaEdge().ttftNanos() - r.direct().ttftNanos()).toList();
    // whole path: handshake and reader both through the edge, or both straight to the gateway
    List<Long> wholeEdge =
        rounds.stream().filter(Round::handshakeViaEdge).map(r -> r.viaEdge().ttftNanos()).toList();
    List<Long> wholeDirect =
        rounds.stream()
            .filter(r -> !r.handshakeViaEdge())
            .map(r -> r.direct().ttftNanos())
            .toList();
    List<Long> edgeGaps = new ArrayList<>();
    List<Long> directGaps = new ArrayList<>();
    for (Round r : rounds) {
      // after the first gap (the consumer's first chunk goes at once, the next after its
      // coalescing delay)
      edgeGaps.addAll(gaps(r.viaEdge()).subList(1, gaps(r.viaEdge()).size()));
      directGaps.addAll(gaps(r.direct()).subList(1, gaps(r.direct()).size()));
    }
    LOG.info(
        "TTFT (handshake to first chunk), median of {} chats read both ways: through the edge {}"
            + " us, direct {} us, per-chat difference median {} us (all: {} us); whole path,"
            + " alternate rounds: edge {} us, direct {} us",
        ROUNDS,
        median(viaEdge) / 1000,
        median(direct) / 1000,
        median(differences) / 1000,
        differences.stream().map(n -> n / 1000).toList(),
        median(wholeEdge) / 1000,
        median(wholeDirect) / 1000);
    LOG.info(
        "chunks per stream: {}; inter-chunk gaps (LLM token delay {} ms): median through the edge"
            + " {} us, direct {} us; gaps of the last stream through the edge {} us, direct {}"
            + " us; chats on {}",
        rounds.get(0).viaEdge().chunkNanos().size(),
        TOKEN_DELAY_MS,
        median(edgeGaps) / 1000,
        median(directGaps) / 1000,
        gaps(rounds.get(ROUNDS - 1).viaEdge()).stream().map(n -> n / 1000).toList(),
        gaps(rounds.get(ROUNDS - 1).direct()).stream().map(n -> n / 1000).toList(),
        rounds.stream().map(Round::node).toList());

    assertThat(rounds.stream().map(Round::node)).contains("gw-1", "gw-2");
    SseProbe.Result last = rounds.get(ROUNDS - 1).viaEdge();
    assertThat(last.headers()).anyMatch(h -> h.startsWith("content-type: text/event-stream"));
    assertThat(last.headers()).noneMatch(h -> h.startsWith("content-encoding"));
    assertThat(last.headers()).noneMatch(h -> h.startsWith("content-length"));
    assertThat(Math.abs(median(viaEdge) - median(direct)) / (double) MS)
        .as("TTFT edge %s us vs direct %s us", median(viaEdge) / 1000, median(direct) / 1000)
        .isLessThan(5.0);
    // every token its own chunk, the first to the last spanning the token delays (nothing held
    // back and sent in a bunch), spaced through the edge as directly
    for (Round r : rounds) {
      List<Long> chunks = r.viaEdge().chunkNanos();
      assertThat(chunks).hasSize(TOKENS);
      assertThat((chunks.get(TOKENS - 1) - chunks.get(0)) / (double) MS)
          .as("first to last chunk through the edge of a chat on %s", r.node())
          .isGreaterThan((TOKENS - 1) * TOKEN_DELAY_MS * 0.8);
    }
    assertThat(median(edgeGaps) / (double) MS)
        .isBetween(TOKEN_DELAY_MS - 10.0, TOKEN_DELAY_MS + 10.0);
    assertThat(Math.abs(median(edgeGaps) - median(directGaps)) / (double) MS).isLessThan(5.0);
  }
}
