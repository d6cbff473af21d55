package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.JSON;
import static io.jindouyun.e2e.Chats.answer;
import static io.jindouyun.e2e.Chats.bearer;
import static io.jindouyun.e2e.Chats.chunks;
import static io.jindouyun.e2e.Chats.terminal;
import static io.jindouyun.e2e.Chats.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.e2e.Chats.Handshake;
import io.jindouyun.gateway.StreamGatewayApplication;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.KafkaExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.h2.tools.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The whole stream pipeline in one JVM: stream-gateway and llm-consumer (each its own Spring
 * context), the development LLM, an embedded KRaft Kafka broker and a real etcd process. The
 * browser's three requests go to the gateway over HTTP; everything else is the real thing. The
 * conversation history is on, in H2 served by its TCP server in this JVM (as {@code ./jdy up} runs
 * it): the consumer stores the turns, the gateway reads them for the next job and the history API.
 */
@Timeout(180)
class EndToEndIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final Duration WAIT = Chats.WAIT;

  static DevLlmServer llm;
  static ConfigurableApplicationContext gateway;
  static ConfigurableApplicationContext consumer;
  static WebClient http;
  static Chats chats;
  static Server h2;
  static String historyUrl;

  @BeforeAll
  static void start() {
    kafka.createTopics(3, "chat.jobs", "chat.control");
    kafka.createTopics(1, "chat.replies", "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    h2 = startH2();
    historyUrl = "r2dbc:h2:tcp://127.0.0.1:" + h2.getPort() + "/history";
    gateway =
        new SpringApplicationBuilder(StreamGatewayApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/gateway.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.history.url=" + historyUrl);
    consumer = startConsumer();
    http =
        WebClient.builder()
            .baseUrl(
                "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"))
            .build();
    chats = new Chats(http);
  }

  static ConfigurableApplicationContext startConsumer() {
    return new SpringApplicationBuilder(LlmConsumerApplication.class)
        .run(
            "--spring.config.location=classpath:/e2e/consumer.yml",
            "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
            "--jindouyun.llm.base-url=" + llm.baseUrl(),
            "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
            "--jindouyun.history.url=" + historyUrl);
  }

  static Server startH2() {
    try {
      return Server.createTcpServer(
              "-tcpPort",
              Integer.toString(FreePorts.next()),
              "-baseDir",
              Files.createTempDirectory("jdy-e2e-h2-").toString(),
              "-ifNotExists")
          .start();
    } catch (SQLException | IOException e) {
      throw new IllegalStateException("cannot start the H2 server", e);
    }
  }

  @AfterAll
  static void stop() {
    if (consumer != null) {
      consumer.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (llm != null) {
      llm.close();
    }
    if (h2 != null) {
      h2.stop();
    }
  }

  @Test
  void theExactAnswerArrivesThroughHandshakeStreamAndAck() throws Exception {
    String user = "ada";
    String prompt = "Tell me about the somersault cloud [dev:tokens=80] [dev:delay=2]";
    Handshake hs = chats.handshake(user, prompt);
    assertThat(hs.streamId()).startsWith("gw-e2e~");

    List<ServerSentEvent<String>> events = chats.readUntilTerminal(user, hs.streamId());

    ServerSentEvent<String> last = terminal(events);
    assertThat(last.event()).isEqualTo("done");
    assertThat(last.data()).contains("\"finishReason\":\"stop\"");
    assertThat(text(events)).isEqualTo(answer(llm.baseUrl(), prompt));
    List<String> ids = chunks(events).stream().map(ServerSentEvent::id).toList();
    assertThat(ids).first().isEqualTo(hs.generation() + ".0");
    assertThat(ids).last().isEqualTo(hs.generation() + "." + (ids.size() - 1));
    chats.ack(user, hs.streamId(), ids.get(ids.size() - 1));
  }

  @Test
  void aConsumerStoppedMidStreamWithoutDrainingIsReplacedAndTheReaderGetsResetThenTheFullAnswer()
      throws Exception {
    String user = "kim";
    String prompt = "A long story [dev:tokens=200] [dev:delay=10]";
    Handshake hs = chats.handshake(user, prompt);
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = chats.read(user, hs.streamId(), events);
    try {
      await().atMost(WAIT).until(() -> chunks(events).size() >= 3);

      consumer.close(); // drain timeout 0: the job is abandoned uncommitted, the LLM call closed
      consumer = startConsumer();

      await().atMost(WAIT).until(() -> terminal(events) != null);
    } finally {
      reading.dispose();
    }
    assertThat(terminal(events).event()).isEqualTo("done");
    List<String> kinds = events.stream().map(ServerSentEvent::event).toList();
    assertThat(kinds).contains("reset");
    List<ServerSentEvent<String>> afterReset =
        events.subList(kinds.lastIndexOf("reset") + 1, events.size());
    assertThat(text(afterReset)).isEqualTo(answer(llm.baseUrl(), prompt));
    assertThat(chunks(afterReset).get(0).id()).isEqualTo(hs.generation() + ".0");
    // the abandoned run stored nothing, the redelivered one its complete turn: one turn, not two
    JsonNode list = chats.call(user, HttpMethod.GET, "/v1/conversations", null).body();
    assertThat(list.path("conversations")).hasSize(1);
    String conversation = list.path("conversations").path(0).path("id").asString();
    JsonNode turns =
        chats.call(user, HttpMethod.GET, "/v1/conversations/" + conversation, null).body();
    assertThat(turns.path("turns")).hasSize(1);
    assertThat(turns.path("turns").path(0).path("status").asString()).isEqualTo("complete");
  }

  @Test
  void cancelClosesTheUpstreamCall() {
    String user = "cy";
    long closed = llm.closedEarly();
    long requests = llm.requests();
    Handshake hs = chats.handshake(user, "Take your time [dev:ttft=20000]");
    await().atMost(WAIT).until(() -> llm.requests() > requests);

    http.delete()
        .uri("/v1/chat/stream/{id}", hs.streamId())
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .retrieve()
        .toBodilessEntity()
        .doOnNext(r -> assertThat(r.getStatusCode().value()).isEqualTo(202))
        .block(WAIT);

    assertThat(llm.awaitClosedEarly(closed + 1, WAIT)).isTrue();
  }

  @Test
  void anLlmErrorMidStreamReachesTheReaderAsAnErrorEvent() {
    String user = "eve";
    Handshake hs =
        chats.handshake(user, "Breaks [dev:tokens=40] [dev:fail=error-mid] [dev:fail-after=8]");
    List<ServerSentEvent<String>> events = chats.readUntilTerminal(user, hs.streamId());
    ServerSentEvent<String> last = terminal(events);
    assertThat(last.event()).isEqualTo("error");
    assertThat(JSON.readTree(last.data()).path("type").asString())
        .isEqualTo("https://jindouyun.io/problems/llm-stream-failed");
    assertThat(chunks(events)).isNotEmpty();
  }

  @Test
  void anLlm400ReachesTheReaderAsAnErrorEventAndTheJobIsDeadLettered() {
    String user = "bo";
    Handshake hs = chats.handshake(user, "Refused [dev:fail=400]");
    List<ServerSentEvent<String>> events = chats.readUntilTerminal(user, hs.streamId());
    ServerSentEvent<String> last = terminal(events);
    assertThat(last.event()).isEqualTo("error");
    assertThat(JSON.readTree(last.data()).path("type").asString())
        .isEqualTo("https://jindouyun.io/problems/llm-rejected");

    ConsumerRecord<String, byte[]> dead = deadLetterFor(hs.streamId());
    assertThat(dead.key()).isEqualTo(user);
    assertThat(
            new String(
                dead.headers().lastHeader(KafkaHeaders.DLT_EXCEPTION_MESSAGE).value(),
                StandardCharsets.UTF_8))
        .contains("400");
  }

  @Test
  void theSecondJobOfAConversationCarriesTheFirstTurnAndBothAreStored() {
    String user = "hana";
    String first = "Name a cloud [dev:tokens=12] [dev:delay=1]";
    String second = "And another one [dev:tokens=12] [dev:delay=1]";
    Chats.Opened one = chats.open(user, first, null);
    assertThat(one.conversationId()).isNotBlank();
    List<ServerSentEvent<String>> events = chats.readUntilTerminal(user, one.streamId());
    String firstAnswer = text(events);
    chats.ack(user, one.streamId(), chunks(events).get(chunks(events).size() - 1).id());

    Chats.Opened two = chats.open(user, second, one.conversationId());
    assertThat(two.conversationId()).isEqualTo(one.conversationId());
    String secondAnswer = text(chats.readUntilTerminal(user, two.streamId()));

    // what the development LLM received for the second turn: the first turn, then the question
    List<DevLlmServer.ReceivedMessage> sent =
        llm.received().stream()
            .filter(r -> r.get(r.size() - 1).content().equals(second))
            .findFirst()
            .orElseThrow();
    assertThat(sent)
        .containsExactly(
            new DevLlmServer.ReceivedMessage("user", first),
            new DevLlmServer.ReceivedMessage("assistant", firstAnswer),
            new DevLlmServer.ReceivedMessage("user", second));

    JsonNode conversation =
        chats.call(user, HttpMethod.GET, "/v1/conversations/" + one.conversationId(), null).body();
    JsonNode turns = conversation.path("turns");
    assertThat(turns).hasSize(2);
    assertThat(turns.path(0).path("answer").asString()).isEqualTo(firstAnswer);
    assertThat(turns.path(0).path("delivered").asBoolean()).isTrue();
    assertThat(turns.path(0).path("finishReason").asString()).isEqualTo("stop");
    assertThat(turns.path(0).path("usage").path("totalTokens").asInt()).isPositive();
    assertThat(turns.path(1).path("answer").asString()).isEqualTo(secondAnswer);
    assertThat(turns.path(1).path("messages")).hasSize(1); // the earlier turn is not stored again
    assertThat(turns.path(1).path("delivered").asBoolean()).isFalse();
    JsonNode list = chats.call(user, HttpMethod.GET, "/v1/conversations?size=1", null).body();
    assertThat(list.path("conversations").path(0).path("id").asString())
        .isEqualTo(one.conversationId());
    assertThat(list.path("conversations").path(0).path("turns").asInt()).isEqualTo(2);
  }

  @Test
  void aCancelledAnswerIsStoredAsAPartialTurn() {
    String user = "ines";
    Chats.Opened opened = chats.open(user, "Slowly [dev:tokens=400] [dev:delay=20]", null);
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = chats.read(user, opened.streamId(), events);
    try {
      await().atMost(WAIT).until(() -> chunks(events).size() >= 2);
      assertThat(
              chats
                  .call(user, HttpMethod.DELETE, "/v1/chat/stream/" + opened.streamId(), null)
                  .status())
          .isEqualTo(202);
    } finally {
      reading.dispose();
    }
    String path = "/v1/conversations/" + opened.conversationId();
    JsonNode turn =
        await()
            .atMost(WAIT)
            .until(
                () -> chats.call(user, HttpMethod.GET, path, null),
                r -> r.status() == 200 && r.body().path("turns").size() == 1)
            .body()
            .path("turns")
            .path(0);
    assertThat(turn.path("status").asString()).isEqualTo("partial");
    assertThat(turn.path("partialReason").asString()).isEqualTo("cancelled");
    assertThat(turn.path("answer").asString()).isNotEmpty();
  }

  @Test
  void anotherUsersConversationIsNotFoundAndItsOwnerDeletesIt() {
    String owner = "jo";
    Chats.Opened opened = chats.open(owner, "Mine only [dev:tokens=4] [dev:delay=1]", null);
    chats.readUntilTerminal(owner, opened.streamId());
    String path = "/v1/conversations/" + opened.conversationId();
    assertThat(chats.call(owner, HttpMethod.GET, path, null).status()).isEqualTo(200);

    Chats.Reply peek = chats.call("mallory", HttpMethod.GET, path, null);
    assertThat(peek.status()).isEqualTo(404);
    assertThat(peek.body().path("type").asString())
        .isEqualTo("https://jindouyun.io/problems/conversation-not-found");
    assertThat(chats.call("mallory", HttpMethod.DELETE, path, null).status()).isEqualTo(404);
    Chats.Reply join =
        chats.call(
            "mallory",
            HttpMethod.POST,
            "/v1/chat/handshake",
            Map.of(
                "conversationId",
                opened.conversationId(),
                "messages",
                List.of(Map.of("role", "user", "content", "let me in"))));
    assertThat(join.status()).isEqualTo(404);

    assertThat(chats.call(owner, HttpMethod.DELETE, path, null).status()).isEqualTo(204);
    assertThat(chats.call(owner, HttpMethod.GET, path, null).status()).isEqualTo(404);
    assertThat(chats.call(owner, HttpMethod.GET, "/v1/conversations?size=0", null).status())
        .isEqualTo(400);
    for (String anonymous : List.of("/v1/conversations", path)) {
      assertThat(
              http.get()
                  .uri(anonymous)
                  .exchangeToMono(r -> Mono.just(r.statusCode().value()))
                  .block(WAIT))
          .as("%s without a token", anonymous)
          .isEqualTo(401);
    }
  }

  // ---- helpers

  static ConsumerRecord<String, byte[]> deadLetterFor(String streamId) {
    try (KafkaConsumer<String, byte[]> reader = kafka.reader()) {
      TopicPartition dlt = new TopicPartition("chat.jobs-dlt", 0);
      reader.assign(List.of(dlt));
      reader.seekToBeginning(List.of(dlt));
      List<ConsumerRecord<String, byte[]>> seen = new ArrayList<>();
      return await()
          .atMost(WAIT)
          .until(
              () -> {
                reader.poll(Duration.ofMillis(200)).forEach(seen::add);
                return seen.stream()
                    .filter(
                        r -> new String(r.value(), StandardCharsets.ISO_8859_1).contains(streamId))
                    .findFirst()
                    .orElse(null);
              },
              r -> r != null);
    }
  }
}
