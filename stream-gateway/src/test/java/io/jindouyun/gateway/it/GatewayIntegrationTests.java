package io.jindouyun.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.contract.EtcdKeys;
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
import java.util.Map;
import java.util.stream.Collectors;
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
import org.springframework.core.ParameterizedTypeReference;
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
  private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};
  private static final Duration WAIT = Duration.ofSeconds(15);

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  private static FakeLlm llm;

  @Autowired WebTestClient client;
  @Autowired StreamMap streams;
  @Autowired WheelDeadlines deadlines;
  @Autowired MeterRegistry meters;

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
    Map<String, Object> hs = handshake("alice", body("Say hello"));
    String streamId = (String) hs.get("streamId");
    long generation = ((Number) hs.get("generation")).longValue();
    assertThat(streamId).startsWith("gw-it~").matches("gw-it~[A-Za-z0-9_-]{22}");
    assertThat(hs).containsEntry("node", "gw-it").containsKeys("ticket", "expiresAt");
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
    ack("alice", streamId);
  }

  @Test
  void anIdleStreamGetsPingComments() {
    String streamId = (String) handshake("ping", body("wait")).get("streamId");
    List<ServerSentEvent<String>> pings =
        stream("ping", streamId, null)
            .filter(e -> "ping".equals(e.comment()))
            .take(3)
            .collectList()
            .block(WAIT);
    assertThat(pings).hasSize(3);
    client
        .delete()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer("ping"))
        .exchange()
        .expectStatus()
        .isAccepted();
  }

  @Test
  void aTicketOpensOnlyItsOwnStream() {
    Map<String, Object> hs = handshake("tina", body("hi"));
    String streamId = (String) hs.get("streamId");
    String ticket = (String) hs.get("ticket");
    ChatJob job = llm.awaitJob(streamId);
    llm.answer(job, 1, "ticketed", 4);
    var events =
        untilTerminal(
            client
                .get()
                .uri("/v1/chat/stream/{id}?ticket={t}", streamId, ticket)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus()
                .isOk()
                .returnResult(SSE)
                .getResponseBody());
    assertThat(textOf(events)).isEqualTo("ticketed");
    client
        .get()
        .uri("/v1/chat/stream/{id}?ticket={t}", "gw-it~other", ticket)
        .exchange()
        .expectStatus()
        .isUnauthorized();
    client
        .post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + ticket)
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body("x"))
        .exchange()
        .expectStatus()
        .isUnauthorized();
    ack("tina", streamId);
  }

  @Test
  void lastEventIdResumesMidStreamWithoutDuplicateOrGap() {
    Map<String, Object> hs = handshake("bob", body("count"));
    String streamId = (String) hs.get("streamId");
    long generation = ((Number) hs.get("generation")).longValue();
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> first = stream("bob", streamId, null);
    llm.chunk(job, 1, 0, "one ");
    llm.chunk(job, 1, 1, "two ");
    llm.chunk(job, 1, 2, "three ");
    List<ServerSentEvent<String>> seen =
        first.filter(e -> "chunk".equals(e.event())).take(2).collectList().block(WAIT);
    assertThat(seen)
        .extracting(ServerSentEvent::id)
        .containsExactly(generation + ".0", generation + ".1");
    llm.chunk(job, 1, 3, "four ");
    llm.last(job, 1, 4, "five");
    List<ServerSentEvent<String>> rest = untilTerminal(stream("bob", streamId, seen.get(1).id()));
    List<ServerSentEvent<String>> viaQuery =
        untilTerminal(
            client
                .get()
                .uri("/v1/chat/stream/{id}?lastEventId={last}", streamId, seen.get(0).id())
                .header(HttpHeaders.AUTHORIZATION, bearer("bob"))
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus()
                .isOk()
                .returnResult(SSE)
                .getResponseBody());
    assertThat(textOf(viaQuery)).isEqualTo("two three four five");
    assertThat(textOf(seen) + textOf(rest)).isEqualTo("one two three four five");
    assertThat(rest.get(0).id()).isEqualTo(generation + ".2");
    assertThat(counter("jdy.gateway.resumes", "outcome", "ok")).isGreaterThanOrEqualTo(1);
    ack("bob", streamId);
  }

  @Test
  void twoReadersOfOneStreamBothGetEverything() {
    String streamId = (String) handshake("carol", body("two tabs")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> tab1 = stream("carol", streamId, null);
    Flux<ServerSentEvent<String>> tab2 =
        client
            .post()
            .uri("/v1/chat/stream/{id}", streamId)
            .header(HttpHeaders.AUTHORIZATION, bearer("carol"))
            .accept(MediaType.TEXT_EVENT_STREAM)
            .exchange()
            .expectStatus()
            .isOk()
            .returnResult(SSE)
            .getResponseBody();
    llm.answer(job, 1, "the same answer for both", 5);
    assertThat(textOf(untilTerminal(tab1))).isEqualTo("the same answer for both");
    assertThat(textOf(untilTerminal(tab2))).isEqualTo("the same answer for both");
    ack("carol", streamId);
  }

  @Test
  void aRegenerateSupersedesTheOlderStreamAndCancelsIt() {
    String old = (String) handshake("dave", body("first")).get("streamId");
    ChatJob oldJob = llm.awaitJob(old);
    Flux<ServerSentEvent<String>> oldReader = stream("dave", old, null);
    llm.chunk(oldJob, 1, 0, "partial");
    Map<String, Object> hs = handshake("dave", body("again"));
    String fresh = (String) hs.get("streamId");
    assertThat(((Number) hs.get("generation")).longValue()).isGreaterThan(oldJob.getGeneration());
    List<ServerSentEvent<String>> oldEvents = untilTerminal(oldReader);
    assertThat(oldEvents.get(oldEvents.size() - 1).event()).isEqualTo("superseded");
    ChatControl.Cancel cancel = llm.awaitCancel(old);
    assertThat(cancel.getGeneration()).isEqualTo(oldJob.getGeneration());
    llm.chunk(oldJob, 1, 1, " zombie"); // dropped: not the current generation
    client
        .get()
        .uri("/v1/chat/stream/{id}", old)
        .header(HttpHeaders.AUTHORIZATION, bearer("dave"))
        .exchange()
        .expectStatus()
        .isNotFound();
    ChatJob job = llm.awaitJob(fresh);
    llm.answer(job, 1, "new answer", 4);
    assertThat(textOf(untilTerminal(stream("dave", fresh, null)))).isEqualTo("new answer");
    ack("dave", fresh);
  }

  @Test
  void cancelPublishesOnTheControlTopicAndEndsReaders() {
    String streamId = (String) handshake("erin", body("stop me")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> reader = stream("erin", streamId, null);
    llm.chunk(job, 1, 0, "tok");
    client
        .delete()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer("erin"))
        .exchange()
        .expectStatus()
        .isAccepted();
    List<ServerSentEvent<String>> events = untilTerminal(reader);
    assertThat(events.get(events.size() - 1).data()).contains("cancelled");
    assertThat(llm.awaitCancel(streamId).getGeneration()).isEqualTo(job.getGeneration());
  }

  @Test
  void anUnclaimedStreamExpiresAndIsCancelled() {
    String streamId = (String) handshake("frank", body("nobody reads")).get("streamId");
    llm.awaitJob(streamId);
    ChatControl.Cancel cancel = llm.awaitCancel(streamId);
    assertThat(cancel.getReason()).isEqualTo("expired-claim");
    client
        .get()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer("frank"))
        .exchange()
        .expectStatus()
        .isNotFound()
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/stream-not-found");
    assertThat(counter("jdy.gateway.expiries", "kind", "claim")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void ackReleasesTheBufferAndTheNextHandshakeReusesTheWarmSlot() {
    String streamId = (String) handshake("gina", body("one")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    llm.answer(job, 1, "0123456789", 10);
    assertThat(textOf(untilTerminal(stream("gina", streamId, null)))).isEqualTo("0123456789");
    assertThat(streams.bufferedBytes()).isEqualTo(10);
    double reusedBefore = meters.counter("jdy.gateway.slot.reuses").count();
    ack("gina", streamId);
    assertThat(streams.bufferedBytes()).isZero();
    assertThat(streams.delivered("gina")).containsExactly(streamId);
    String next = (String) handshake("gina", body("two")).get("streamId");
    assertThat(meters.counter("jdy.gateway.slot.reuses").count()).isEqualTo(reusedBefore + 1);
    ChatJob nextJob = llm.awaitJob(next);
    llm.answer(nextJob, 1, "again", 5);
    assertThat(textOf(untilTerminal(stream("gina", next, null)))).isEqualTo("again");
    ack("gina", next);
    assertThat(streams.delivered("gina")).containsExactly(streamId, next);
  }

  @Test
  void aRedeliveredJobResetsTheStreamAndThenDeliversTheFullAnswer() {
    String streamId = (String) handshake("hank", body("redeliver")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> reader = stream("hank", streamId, null);
    llm.chunk(job, 10, 0, "Hel");
    llm.chunk(job, 10, 1, "lo wo");
    llm.chunk(job, 25, 0, "Hello");
    llm.chunk(job, 10, 2, "ZOMBIE");
    llm.chunk(job, 25, 1, " world");
    llm.last(job, 25, 2, "!");
    List<ServerSentEvent<String>> events = untilTerminal(reader);
    List<String> names = events.stream().map(ServerSentEvent::event).toList();
    assertThat(names).contains("reset");
    int reset = names.lastIndexOf("reset");
    assertThat(textOf(events.subList(reset + 1, events.size()))).isEqualTo("Hello world!");
    assertThat(textOf(events)).doesNotContain("ZOMBIE");
    ack("hank", streamId);
  }

  @Test
  void duplicatesAreDroppedAndOutOfOrderChunksAreApplied() {
    String streamId = (String) handshake("ivy", body("dups")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> reader = stream("ivy", streamId, null);
    llm.chunk(job, 1, 0, "a");
    llm.chunk(job, 1, 2, "c");
    llm.chunk(job, 1, 0, "a");
    llm.chunk(job, 1, 1, "b");
    llm.chunk(job, 1, 1, "b");
    llm.last(job, 1, 3, "d");
    assertThat(textOf(untilTerminal(reader))).isEqualTo("abcd");
    ack("ivy", streamId);
  }

  @Test
  void aGapThatNeverFillsEndsTheStreamWithAnErrorAfterTheBoundedWait() {
    String streamId = (String) handshake("jack", body("gap")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> reader = stream("jack", streamId, null);
    llm.chunk(job, 1, 0, "a");
    llm.chunk(job, 1, 2, "c");
    long start = System.nanoTime();
    List<ServerSentEvent<String>> events = untilTerminal(reader);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(300));
    ServerSentEvent<String> last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("error");
    assertThat(last.data()).contains("https://jindouyun.io/problems/stream-gap");
    assertThat(textOf(events)).isEqualTo("a");
    assertThat(llm.awaitCancel(streamId).getReason()).isEqualTo("gap");
  }

  @Test
  void anUpstreamErrorChunkBecomesAnErrorEvent() {
    String streamId = (String) handshake("kim", body("fail")).get("streamId");
    ChatJob job = llm.awaitJob(streamId);
    Flux<ServerSentEvent<String>> reader = stream("kim", streamId, null);
    llm.chunk(job, 1, 0, "so far");
    llm.error(job, 1, 1, "the model said no");
    List<ServerSentEvent<String>> events = untilTerminal(reader);
    assertThat(events.get(events.size() - 1).event()).isEqualTo("error");
    assertThat(events.get(events.size() - 1).data())
        .contains("llm-error")
        .contains("the model said no");
    ack("kim", streamId);
  }

  // ---- refusals ----

  @Test
  void anotherUsersStreamIsNotFound() {
    String streamId = (String) handshake("lena", body("mine")).get("streamId");
    for (var spec :
        List.of(
            client.get().uri("/v1/chat/stream/{id}", streamId),
            client.post().uri("/v1/chat/ack/{id}", streamId),
            client.delete().uri("/v1/chat/stream/{id}", streamId))) {
      spec.header(HttpHeaders.AUTHORIZATION, bearer("mallory"))
          .exchange()
          .expectStatus()
          .isNotFound()
          .expectHeader()
          .contentType(MediaType.APPLICATION_PROBLEM_JSON)
          .expectBody()
          .jsonPath("$.type")
          .isEqualTo("https://jindouyun.io/problems/stream-not-found");
    }
    client
        .delete()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer("lena"))
        .exchange()
        .expectStatus()
        .isAccepted();
  }

  @Test
  void aMissingOrBadTokenIsUnauthorized() {
    for (String auth :
        List.of(
            "",
            "Bearer nonsense",
            "Bearer " + TestTokens.expired("x"),
            "Bearer " + TestTokens.wrongKey("x"))) {
      client
          .post()
          .uri("/v1/chat/handshake")
          .headers(
              h -> {
                if (!auth.isEmpty()) {
                  h.set(HttpHeaders.AUTHORIZATION, auth);
                }
              })
          .contentType(MediaType.APPLICATION_JSON)
          .bodyValue(body("hi"))
          .exchange()
          .expectStatus()
          .isUnauthorized()
          .expectHeader()
          .contentType(MediaType.APPLICATION_PROBLEM_JSON)
          .expectBody()
          .jsonPath("$.type")
          .isEqualTo("https://jindouyun.io/problems/unauthorized");
    }
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
    expectProblem(body("x".repeat(5000)), 413, "payload-too-large");
    assertThat(streams.activeStreams()).isZero();
  }

  @Test
  void tooManyHandshakesOfOneUserAreRateLimited() {
    String last = null;
    for (int i = 0; i < 5; i++) {
      last = (String) handshake("olga", body("n" + i)).get("streamId");
    }
    client
        .post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, bearer("olga"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(body("one too many"))
        .exchange()
        .expectStatus()
        .isEqualTo(429)
        .expectHeader()
        .exists(HttpHeaders.RETRY_AFTER)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/rate-limited");
    client
        .delete()
        .uri("/v1/chat/stream/{id}", last)
        .header(HttpHeaders.AUTHORIZATION, bearer("olga"))
        .exchange()
        .expectStatus()
        .isAccepted();
  }

  @Test
  void theReplyPartitionIsClaimedInEtcd() throws Exception {
    String streamId = (String) handshake("pete", body("where")).get("streamId");
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
    client
        .delete()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer("pete"))
        .exchange()
        .expectStatus()
        .isAccepted();
  }

  // ---- helpers ----

  private void expectProblem(String json, int status, String kind) {
    client
        .post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, bearer("nina"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json)
        .exchange()
        .expectStatus()
        .isEqualTo(status)
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/" + kind);
  }

  private double counter(String name, String tag, String value) {
    var c = meters.find(name).tag(tag, value).counter();
    return c == null ? 0 : c.count();
  }

  private static String bearer(String user) {
    return "Bearer " + TestTokens.user(user);
  }

  private static String body(String prompt) {
    return "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        + "{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}";
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> handshake(String user, String json) {
    return client
        .post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json)
        .exchange()
        .expectStatus()
        .isAccepted()
        .expectBody(Map.class)
        .returnResult()
        .getResponseBody();
  }

  private void ack(String user, String streamId) {
    client
        .post()
        .uri("/v1/chat/ack/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{\"lastEventId\":\"x\"}")
        .exchange()
        .expectStatus()
        .isNoContent();
  }

  private Flux<ServerSentEvent<String>> stream(String user, String streamId, String lastEventId) {
    return client
        .get()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .headers(
            h -> {
              if (lastEventId != null) {
                h.set("Last-Event-ID", lastEventId);
              }
            })
        .accept(MediaType.TEXT_EVENT_STREAM)
        .exchange()
        .expectStatus()
        .isOk()
        .returnResult(SSE)
        .getResponseBody();
  }

  private static List<ServerSentEvent<String>> untilTerminal(Flux<ServerSentEvent<String>> events) {
    return events
        .filter(e -> e.event() != null)
        .takeUntil(e -> List.of("done", "error", "superseded").contains(e.event()))
        .collectList()
        .block(WAIT);
  }

  private static String textOf(List<ServerSentEvent<String>> events) {
    return events.stream()
        .filter(e -> "chunk".equals(e.event()))
        .map(e -> delta(e.data()))
        .collect(Collectors.joining());
  }

  private static String delta(String json) {
    return tools.jackson.databind.json.JsonMapper.shared().readTree(json).get("delta").asString();
  }
}
