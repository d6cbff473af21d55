package io.jindouyun.gateway.it;

import static io.jindouyun.gateway.it.ChatClient.SSE;
import static io.jindouyun.gateway.it.ChatClient.assertProblem;
import static io.jindouyun.gateway.it.ChatClient.bearer;
import static io.jindouyun.gateway.it.ChatClient.body;
import static io.jindouyun.gateway.it.ChatClient.textOf;
import static io.jindouyun.gateway.it.ChatClient.untilTerminal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.gateway.it.ChatClient.Handshake;
import io.jindouyun.gateway.recycle.WheelDeadlines;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.proto.chat.v1.ChatControl;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.KafkaExtension;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

/**
 * The gateway against a real Kafka broker and a real etcd; the test plays the LLM consumer with
 * plain Kafka clients so it can write resets, gaps, duplicates and errors exactly.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.instance.id=gw-it",
      "jindouyun.metrics.grpc-port=0",
      "jindouyun.gateway.stream.claim-timeout=3s",
      "jindouyun.gateway.stream.ack-timeout=1s",
      "jindouyun.gateway.stream.warm-timeout=2s",
      "jindouyun.gateway.stream.gap-wait=500ms",
      "jindouyun.gateway.stream.ping-interval=1s",
      "jindouyun.gateway.handshake.max-body-size=4KB",
      "jindouyun.gateway.handshake.rate-limit.capacity=5",
      "jindouyun.gateway.handshake.rate-limit.refill-period=10s",
      "jindouyun.gateway.kafka.reply-partitions=0"
    })
@AutoConfigureWebTestClient(timeout = "20s")
@Timeout(60)
class GatewayIntegrationTests {

  private static final int PARTITIONS = 3;
  private static final Duration WAIT = ChatClient.WAIT;

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  private static FakeLlm llm;

  @Autowired WebTestClient client;
  @Autowired StreamMap streams;
  @Autowired WheelDeadlines deadlines;
  @Autowired MeterRegistry meters;
  private ChatClient chats;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", kafka::bootstrapServers);
    registry.add("jindouyun.etcd.endpoints", etcd::endpoint);
  }

  @BeforeAll
  static void topicsAndFakeConsumer() {
    kafka.createTopics(PARTITIONS, "chat.jobs", "chat.replies", "chat.control");
    llm = new FakeLlm(kafka.bootstrapServers(), PARTITIONS);
  }

  private static StreamMap sharedStreams;
  private static WheelDeadlines sharedDeadlines;

  @BeforeEach
  void remember() {
    sharedStreams = streams;
    sharedDeadlines = deadlines;
    chats = new ChatClient(client);
  }

  @AfterEach
  void everyStreamIsReleased() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(streams.bufferedBytes()).isZero();
              assertThat(streams.activeStreams()).isZero();
            });
  }

  @AfterAll
  static void buffersTimersAndSlotsReturnToZero() {
    try {
      await()
          .atMost(WAIT)
          .untilAsserted(
              () -> {
                assertThat(sharedStreams.bufferedBytes()).isZero();
                assertThat(sharedStreams.activeStreams()).isZero();
                assertThat(sharedDeadlines.pending()).isZero();
                assertThat(sharedStreams.users()).isZero();
              });
    } finally {
      llm.close();
    }
  }

  // ---- the happy path and its variants ----

  @Test
  void streamsTheExactTextWithIdsAndEndsWithDone() {
    Handshake hs = chats.handshake("alice", "Say hello");
    String streamId = hs.streamId();
    long generation = hs.generation();
    assertThat(streamId).startsWith("gw-it~").matches("gw-it~[A-Za-z0-9_-]{22}");
    assertThat(hs.body()).containsEntry("node", "gw-it").containsKeys("ticket", "expiresAt");
    ChatJob job = llm.awaitJob(streamId);
    assertThat(job.getGeneration()).isEqualTo(generation);
    assertThat(job.getUserId()).isEqualTo("alice");
    assertThat(job.getReplyTopic()).isEqualTo("chat.replies");
    assertThat(job.getMessages(1).getContent()).isEqualTo("Say hello");
    assertThat(job.getMessages(0).getRole()).isEqualTo("system");

    var result =
        client
            .get()
            .uri("/v1/chat/stream/{id}", streamId)
            .header(HttpHeaders.AUTHORIZATION, bearer("alice"))
            .accept(MediaType.TEXT_EVENT_STREAM)
            .exchange()
            .expectStatus()
            .isOk()
            .expectHeader()
            .contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
            .expectHeader()
            .valueEquals(HttpHeaders.CACHE_CONTROL, "no-cache")
            .expectHeader()
            .valueEquals("X-Accel-Buffering", "no")
            .returnResult(SSE);
    String text = "Hello, 世界! ünïcödé and emoji 🚀 end.";
    llm.answer(job, 1, text, 3);
    List<ServerSentEvent<String>> events = untilTerminal(result.getResponseBody());
    assertThat(textOf(events)).isEqualTo(text);
    assertThat(events.get(0).id()).isEqualTo(generation + ".0");
    ServerSentEvent<String> done = events.get(events.size() - 1);
    assertThat(done.event()).isEqualTo("done");
    assertThat(done.data()).contains("\"finishReason\":\"stop\"").contains("\"totalTokens\":7");
    assertThat(meters.find("jdy.ttft").timer().count()).isPositive();
    assertThat(meters.find("jdy.gateway.added.latency").timer().count()).isPositive();
    chats.ack("alice", streamId);
  }

  @Test
  void anIdleStreamGetsPingComments() {
    String streamId = chats.handshake("ping", "wait").streamId();
    List<ServerSentEvent<String>> pings =
        chats.stream("ping", streamId)
            .filter(e -> "ping".equals(e.comment()))
            .take(3)
            .collectList()
            .block(WAIT);
    assertThat(pings).hasSize(3);
    chats.cancel("ping", streamId);
  }

  @Test
  void aTicketOpensOnlyItsOwnStream() {
    Handshake hs = chats.handshake("tina", "hi");
    String streamId = hs.streamId();
    String ticket = (String) hs.body().get("ticket");
    ChatJob job = llm.awaitJob(streamId);
    llm.answer(job, 1, "ticketed", 4);
    var events =
        untilTerminal(
            ChatClient.events(
                client.get().uri("/v1/chat/stream/{id}?ticket={t}", streamId, ticket)));
    assertThat(textOf(events)).isEqualTo("ticketed");
    client
        .get()
        .uri("/v1/chat/stream/{id}?ticket={t}", "gw-it~other", ticket)
        .exchange()
        .expectStatus()
        .isUnauthorized();
    chats.postHandshake("Bearer " + ticket, body("x")).expectStatus().isUnauthorized();
    assertProblem(
        client
            .get()
            .uri("/v1/chat/stream/{id}?ticket={t}", streamId, TestTokens.user("tina"))
            .exchange()
            .expectStatus()
            .isUnauthorized(),
        "unauthorized");
    client
        .get()
        .uri("/v1/chat/stream/{id}?ticket={t}", streamId, TestTokens.user("tina"))
        .exchange()
        .expectBody()
        .jsonPath("$.detail")
        .value(String.class, d -> assertThat(d).startsWith("?ticket= takes a stream ticket"));
    chats.ack("tina", streamId);
  }

  @Test
  void lastEventIdResumesMidStreamWithoutDuplicateOrGap() {
    Chat chat = open("bob", "count");
    long generation = chat.handshake().generation();
    llm.chunk(chat.job(), 1, 0, "one ");
    llm.chunk(chat.job(), 1, 1, "two ");
    llm.chunk(chat.job(), 1, 2, "three ");
    List<ServerSentEvent<String>> seen =
        chat.reader().filter(e -> "chunk".equals(e.event())).take(2).collectList().block(WAIT);
    assertThat(seen)
        .extracting(ServerSentEvent::id)
        .containsExactly(generation + ".0", generation + ".1");
    llm.chunk(chat.job(), 1, 3, "four ");
    llm.last(chat.job(), 1, 4, "five");
    List<ServerSentEvent<String>> rest =
        untilTerminal(chats.stream("bob", chat.streamId(), seen.get(1).id()));
    List<ServerSentEvent<String>> viaQuery =
        untilTerminal(
            ChatClient.events(
                client
                    .get()
                    .uri(
                        "/v1/chat/stream/{id}?lastEventId={last}",
                        chat.streamId(),
                        seen.get(0).id())
                    .header(HttpHeaders.AUTHORIZATION, bearer("bob"))));
    assertThat(textOf(viaQuery)).isEqualTo("two three four five");
    assertThat(textOf(seen) + textOf(rest)).isEqualTo("one two three four five");
    assertThat(rest.get(0).id()).isEqualTo(generation + ".2");
    assertThat(counter("jdy.gateway.resumes", "outcome", "ok")).isGreaterThanOrEqualTo(1);
    chats.ack("bob", chat.streamId());
  }

  @Test
  void twoReadersOfOneStreamBothGetEverything() {
    Chat chat = open("carol", "two tabs");
    Flux<ServerSentEvent<String>> tab2 =
        ChatClient.events(
            client
                .post()
                .uri("/v1/chat/stream/{id}", chat.streamId())
                .header(HttpHeaders.AUTHORIZATION, bearer("carol")));
    llm.answer(chat.job(), 1, "the same answer for both", 5);
    assertThat(textOf(untilTerminal(chat.reader()))).isEqualTo("the same answer for both");
    assertThat(textOf(untilTerminal(tab2))).isEqualTo("the same answer for both");
    chats.ack("carol", chat.streamId());
  }

  @Test
  void aRegenerateSupersedesTheOlderStreamAndCancelsIt() {
    Chat old = open("dave", "first");
    llm.chunk(old.job(), 1, 0, "partial");
    Handshake hs = chats.handshake("dave", "again");
    String fresh = hs.streamId();
    assertThat(hs.generation()).isGreaterThan(old.job().getGeneration());
    List<ServerSentEvent<String>> oldEvents = untilTerminal(old.reader());
    assertThat(oldEvents.get(oldEvents.size() - 1).event()).isEqualTo("superseded");
    ChatControl.Cancel cancel = llm.awaitCancel(old.streamId());
    assertThat(cancel.getGeneration()).isEqualTo(old.job().getGeneration());
    llm.chunk(old.job(), 1, 1, " zombie"); // dropped: not the current generation
    chats.get("dave", old.streamId()).expectStatus().isNotFound();
    ChatJob job = llm.awaitJob(fresh);
    llm.answer(job, 1, "new answer", 4);
    assertThat(textOf(untilTerminal(chats.stream("dave", fresh)))).isEqualTo("new answer");
    chats.ack("dave", fresh);
  }

  @Test
  void cancelPublishesOnTheControlTopicAndEndsReaders() {
    Chat chat = open("erin", "stop me");
    llm.chunk(chat.job(), 1, 0, "tok");
    chats.cancel("erin", chat.streamId());
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    assertThat(events.get(events.size() - 1).data()).contains("cancelled");
    assertThat(llm.awaitCancel(chat.streamId()).getGeneration())
        .isEqualTo(chat.job().getGeneration());
  }

  @Test
  void anUnclaimedStreamExpiresAndIsCancelled() {
    String streamId = chats.handshake("frank", "nobody reads").streamId();
    llm.awaitJob(streamId);
    ChatControl.Cancel cancel = llm.awaitCancel(streamId);
    assertThat(cancel.getReason()).isEqualTo("expired-claim");
    chats
        .get("frank", streamId)
        .expectStatus()
        .isNotFound()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/stream-not-found");
    assertThat(counter("jdy.gateway.expiries", "kind", "claim")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void ackReleasesTheBufferAndTheNextHandshakeReusesTheWarmSlot() {
    String streamId = chats.handshake("gina", "one").streamId();
    ChatJob job = llm.awaitJob(streamId);
    llm.answer(job, 1, "0123456789", 10);
    var events = untilTerminal(chats.stream("gina", streamId));
    assertThat(textOf(events)).isEqualTo("0123456789");
    String lastId =
        events.stream()
            .filter(e -> "chunk".equals(e.event()))
            .reduce((a, b) -> b)
            .orElseThrow()
            .id();
    long generation = Long.parseLong(lastId.substring(0, lastId.indexOf('.')));
    assertThat(streams.find("gina", streamId).bytes()).isEqualTo(10);
    assertThat(streams.bufferedBytes()).as("its heap, counted by the budget").isGreaterThan(10);
    double reusedBefore = meters.counter("jdy.gateway.slot.reuses").count();
    for (String bad :
        List.of(
            "{\"lastEventId\":\"x\"}",
            "{\"lastEventId\":17}",
            "{\"lastEventId\":\"" + generation + ".99\"}",
            "{\"lastEventId\":\"" + (generation + 1) + ".0\"}")) {
      chats
          .postAck("gina", streamId, bad)
          .expectStatus()
          .isBadRequest()
          .expectBody()
          .jsonPath("$.detail")
          .value(String.class, d -> assertThat(d).as(bad).startsWith("lastEventId"));
    }
    assertThat(streams.find("gina", streamId).bytes()).as("a refused ack keeps it").isEqualTo(10);
    chats
        .postAck("gina", streamId, "{\"lastEventId\":\"" + lastId + "\"}")
        .expectStatus()
        .isNoContent();
    assertThat(streams.bufferedBytes()).isZero();
    assertThat(streams.delivered("gina")).containsExactly(streamId);
    String next = chats.handshake("gina", "two").streamId();
    assertThat(meters.counter("jdy.gateway.slot.reuses").count()).isEqualTo(reusedBefore + 1);
    ChatJob nextJob = llm.awaitJob(next);
    llm.answer(nextJob, 1, "again", 5);
    assertThat(textOf(untilTerminal(chats.stream("gina", next)))).isEqualTo("again");
    chats.ack("gina", next);
    assertThat(streams.delivered("gina")).containsExactly(streamId, next);
  }

  @Test
  void aRedeliveredJobResetsTheStreamAndThenDeliversTheFullAnswer() {
    Chat chat = open("hank", "redeliver");
    llm.chunk(chat.job(), 10, 0, "Hel");
    llm.chunk(chat.job(), 10, 1, "lo wo");
    llm.chunk(chat.job(), 25, 0, "Hello");
    llm.chunk(chat.job(), 10, 2, "ZOMBIE");
    llm.chunk(chat.job(), 25, 1, " world");
    llm.last(chat.job(), 25, 2, "!");
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    List<String> names = events.stream().map(ServerSentEvent::event).toList();
    assertThat(names).contains("reset");
    int reset = names.lastIndexOf("reset");
    assertThat(textOf(events.subList(reset + 1, events.size()))).isEqualTo("Hello world!");
    assertThat(textOf(events)).doesNotContain("ZOMBIE");
    chats.ack("hank", chat.streamId());
  }

  @Test
  void duplicatesAreDroppedAndOutOfOrderChunksAreApplied() {
    Chat chat = open("ivy", "dups");
    llm.chunk(chat.job(), 1, 0, "a");
    llm.chunk(chat.job(), 1, 2, "c");
    llm.chunk(chat.job(), 1, 0, "a");
    llm.chunk(chat.job(), 1, 1, "b");
    llm.chunk(chat.job(), 1, 1, "b");
    llm.last(chat.job(), 1, 3, "d");
    assertThat(textOf(untilTerminal(chat.reader()))).isEqualTo("abcd");
    chats.ack("ivy", chat.streamId());
  }

  @Test
  void aGapThatNeverFillsEndsTheStreamWithAnErrorAfterTheBoundedWait() {
    Chat chat = open("jack", "gap");
    llm.chunk(chat.job(), 1, 0, "a");
    llm.chunk(chat.job(), 1, 2, "c");
    long start = System.nanoTime();
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(300));
    ServerSentEvent<String> last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("error");
    assertThat(last.data()).contains("https://jindouyun.io/problems/stream-gap");
    assertThat(textOf(events)).isEqualTo("a");
    assertThat(llm.awaitCancel(chat.streamId()).getReason()).isEqualTo("gap");
  }

  @Test
  void anUpstreamErrorChunkBecomesAnErrorEvent() {
    Chat chat = open("kim", "fail");
    llm.chunk(chat.job(), 1, 0, "so far");
    llm.error(chat.job(), 1, 1, "the model said no");
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    assertThat(events.get(events.size() - 1).event()).isEqualTo("error");
    assertThat(events.get(events.size() - 1).data())
        .contains("llm-error")
        .contains("the model said no");
    chats.ack("kim", chat.streamId());
  }

  // ---- refusals ----

  @Test
  void anotherUsersStreamIsNotFound() {
    String streamId = chats.handshake("lena", "mine").streamId();
    for (var spec :
        List.of(
            client.get().uri("/v1/chat/stream/{id}", streamId),
            client.post().uri("/v1/chat/ack/{id}", streamId),
            client.delete().uri("/v1/chat/stream/{id}", streamId))) {
      assertProblem(
          spec.header(HttpHeaders.AUTHORIZATION, bearer("mallory"))
              .exchange()
              .expectStatus()
              .isNotFound(),
          "stream-not-found");
    }
    chats.cancel("lena", streamId);
  }

  @Test
  void aMissingOrBadTokenIsUnauthorized() {
    for (String auth :
        List.of(
            "",
            "Bearer nonsense",
            "Bearer " + TestTokens.expired("x"),
            "Bearer " + TestTokens.wrongKey("x"),
            "Bearer " + TestTokens.withoutExpiry("x"),
            "Bearer " + TestTokens.issuedBy("someone-else", "x"))) {
      assertProblem(
          chats
              .postHandshake(auth.isEmpty() ? null : auth, body("hi"))
              .expectStatus()
              .isUnauthorized(),
          "unauthorized");
    }
    chats
        .postHandshake("Bearer " + TestTokens.withoutExpiry("x"), body("hi"))
        .expectBody()
        .jsonPath("$.detail")
        .isEqualTo("the token has no exp claim: tokens must expire");
    chats
        .postHandshake("Bearer " + TestTokens.issuedBy("someone-else", "x"), body("hi"))
        .expectBody()
        .jsonPath("$.detail")
        .isEqualTo("the token's iss \"someone-else\" is not the configured issuer");
    client.get().uri("/actuator/health").exchange().expectStatus().isOk();
  }

  @Test
  void actuatorEndpointsAreOpenAndExposeTheGatewayMeters() {
    client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
    String scrape =
        client
            .get()
            .uri("/actuator/prometheus")
            .exchange()
            .expectStatus()
            .isOk()
            .expectBody(String.class)
            .returnResult()
            .getResponseBody();
    assertThat(scrape)
        .contains(
            "jdy_streams_active",
            "jdy_gateway_buffered_bytes",
            "jdy_gateway_timers_pending",
            "jdy_requests_active",
            "jdy_ttft_seconds",
            "jdy_gateway_added_latency_seconds");
  }

  @Test
  void invalidRequestsAreRejectedWithProblems() {
    expectProblem("{not json", 400, "validation");
    expectProblem("{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", 400, "validation");
    expectProblem(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
            + "{\"role\":\"assistant\",\"content\":\"y\"}]}",
        400,
        "validation");
    expectProblem("{\"messages\":[]}", 400, "validation");
    expectProblem(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":\"gpt-9\"}",
        400,
        "validation");
    expectProblem(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":7}",
        400,
        "validation");
    expectProblem(
        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"maxTokens\":0}",
        400,
        "validation");
    chats
        .postHandshake(
            bearer("nina"),
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":9}")
        .expectStatus()
        .isBadRequest()
        .expectBody()
        .jsonPath("$.detail")
        .value(String.class, d -> assertThat(d).contains("unknown field max_tokens"));
    expectProblem(body("x".repeat(5000)), 413, "payload-too-large");
    assertThat(streams.activeStreams()).isZero();
  }

  @Test
  void tooManyHandshakesOfOneUserAreRateLimited() {
    String last = null;
    for (int i = 0; i < 5; i++) {
      last = chats.handshake("olga", "n" + i).streamId();
    }
    chats
        .postHandshake(bearer("olga"), body("one too many"))
        .expectStatus()
        .isEqualTo(429)
        .expectHeader()
        .exists(HttpHeaders.RETRY_AFTER)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/rate-limited");
    chats.cancel("olga", last);
  }

  @Test
  void theReplyPartitionIsClaimedInEtcd() throws Exception {
    String streamId = chats.handshake("pete", "where").streamId();
    ChatJob job = llm.awaitJob(streamId);
    var kvs =
        etcd.client()
            .getKVClient()
            .get(
                io.etcd.jetcd.ByteSequence.from(
                    EtcdKeys.DEFAULT.replyKey(job.getReplyPartition()), StandardCharsets.UTF_8))
            .get(5, java.util.concurrent.TimeUnit.SECONDS)
            .getKvs();
    assertThat(kvs).hasSize(1);
    assertThat(kvs.get(0).getValue().toString(StandardCharsets.UTF_8)).isEqualTo("gw-it");
    assertThat(kvs.get(0).getLease()).isNotZero();
    chats.cancel("pete", streamId);
  }

  // ---- helpers ----

  private void expectProblem(String json, int status, String kind) {
    assertProblem(chats.postHandshake(bearer("nina"), json).expectStatus().isEqualTo(status), kind);
  }

  /** A chat whose job the fake LLM has received, with a reader from the start. */
  private record Chat(Handshake handshake, ChatJob job, Flux<ServerSentEvent<String>> reader) {
    String streamId() {
      return handshake.streamId();
    }
  }

  /** Handshakes as {@code user}, waits for the job it sends, then opens a reader. */
  private Chat open(String user, String prompt) {
    Handshake hs = chats.handshake(user, prompt);
    ChatJob job = llm.awaitJob(hs.streamId());
    return new Chat(hs, job, chats.stream(user, hs.streamId()));
  }

  private double counter(String name, String tag, String value) {
    var c = meters.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }
}
