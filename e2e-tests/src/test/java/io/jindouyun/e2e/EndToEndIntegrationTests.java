package io.jindouyun.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.gateway.StreamGatewayApplication;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole stream pipeline in one JVM: stream-gateway and llm-consumer (each its own Spring
 * context), the development LLM, an embedded KRaft Kafka broker and a real etcd process. The
 * browser's three requests go to the gateway over HTTP; everything else is the real thing.
 */
@Timeout(180)
class EndToEndIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final String SECRET = "jindouyun-dev-secret-change-me-0123456789abcdef";
  static final String MODEL = "jdy-dev-1";
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};
  static final JsonMapper JSON = JsonMapper.builder().build();

  static DevLlmServer llm;
  static ConfigurableApplicationContext gateway;
  static ConfigurableApplicationContext consumer;
  static WebClient http;

  @BeforeAll
  static void start() {
    kafka.createTopics(3, "chat.jobs", "chat.control");
    kafka.createTopics(1, "chat.replies", "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    gateway =
        new SpringApplicationBuilder(StreamGatewayApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/gateway.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint());
    consumer = startConsumer();
    http =
        WebClient.builder()
            .baseUrl(
                "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"))
            .build();
  }

  static ConfigurableApplicationContext startConsumer() {
    return new SpringApplicationBuilder(LlmConsumerApplication.class)
        .run(
            "--spring.config.location=classpath:/e2e/consumer.yml",
            "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
            "--jindouyun.llm.base-url=" + llm.baseUrl(),
            "--jindouyun.etcd.endpoints=" + etcd.endpoint());
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
  }

  @Test
  void theExactAnswerArrivesThroughHandshakeStreamAndAck() throws Exception {
    String user = "ada";
    String prompt = "Tell me about the somersault cloud [dev:tokens=80] [dev:delay=2]";
    Handshake hs = handshake(user, prompt);
    assertThat(hs.streamId()).startsWith("gw-e2e~");

    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = read(http, user, hs.streamId(), events);
    try {
      await().atMost(WAIT).until(() -> terminal(events) != null);
    } finally {
      reading.dispose();
    }

    ServerSentEvent<String> last = terminal(events);
    assertThat(last.event()).isEqualTo("done");
    assertThat(last.data()).contains("\"finishReason\":\"stop\"");
    assertThat(text(events)).isEqualTo(answer(llm.baseUrl(), prompt));
    List<String> ids = chunks(events).stream().map(ServerSentEvent::id).toList();
    assertThat(ids).first().isEqualTo(hs.generation() + ".0");
    assertThat(ids).last().isEqualTo(hs.generation() + "." + (ids.size() - 1));
    ack(http, user, hs.streamId(), ids.get(ids.size() - 1));
  }

  @Test
  void aConsumerStoppedMidStreamWithoutDrainingIsReplacedAndTheReaderGetsResetThenTheFullAnswer()
      throws Exception {
    String user = "kim";
    String prompt = "A long story [dev:tokens=200] [dev:delay=10]";
    Handshake hs = handshake(user, prompt);
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = read(http, user, hs.streamId(), events);
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
  }

  @Test
  void cancelClosesTheUpstreamCall() {
    String user = "cy";
    long closed = llm.closedEarly();
    long requests = llm.requests();
    Handshake hs = handshake(user, "Take your time [dev:ttft=20000]");
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
        handshake(user, "Breaks [dev:tokens=40] [dev:fail=error-mid] [dev:fail-after=8]");
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = read(http, user, hs.streamId(), events);
    try {
      await().atMost(WAIT).until(() -> terminal(events) != null);
    } finally {
      reading.dispose();
    }
    ServerSentEvent<String> last = terminal(events);
    assertThat(last.event()).isEqualTo("error");
    assertThat(JSON.readTree(last.data()).path("type").asString())
        .isEqualTo("https://jindouyun.io/problems/llm-stream-failed");
    assertThat(chunks(events)).isNotEmpty();
  }

  @Test
  void anLlm400ReachesTheReaderAsAnErrorEventAndTheJobIsDeadLettered() {
    String user = "bo";
    Handshake hs = handshake(user, "Refused [dev:fail=400]");
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = read(http, user, hs.streamId(), events);
    try {
      await().atMost(WAIT).until(() -> terminal(events) != null);
    } finally {
      reading.dispose();
    }
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

  // ---- helpers

  record Handshake(String streamId, long generation) {}

  static Handshake handshake(String user, String prompt) {
    JsonNode body =
        http.post()
            .uri("/v1/chat/handshake")
            .header(HttpHeaders.AUTHORIZATION, bearer(user))
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(
                Map.of(
                    "model", MODEL, "messages", List.of(Map.of("role", "user", "content", prompt))))
            .retrieve()
            .bodyToMono(JsonNode.class)
            .block(WAIT);
    return new Handshake(body.path("streamId").asString(), body.path("generation").asLong());
  }

  /** Acks {@code streamId} as {@code user} through {@code client} and asserts 204. */
  static void ack(WebClient client, String user, String streamId, String lastEventId) {
    int status =
        client
            .post()
            .uri("/v1/chat/ack/{id}", streamId)
            .header(HttpHeaders.AUTHORIZATION, bearer(user))
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(Map.of("lastEventId", lastEventId))
            .retrieve()
            .toBodilessEntity()
            .block(WAIT)
            .getStatusCode()
            .value();
    assertThat(status).isEqualTo(204);
  }

  /** Reads {@code streamId} as {@code user} through {@code client}, adding every named event. */
  static Disposable read(
      WebClient client, String user, String streamId, List<ServerSentEvent<String>> into) {
    return client
        .get()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve()
        .bodyToFlux(SSE)
        .filter(e -> e.event() != null)
        .subscribe(into::add);
  }

  static ServerSentEvent<String> terminal(List<ServerSentEvent<String>> events) {
    return events.stream()
        .filter(e -> List.of("done", "error", "superseded").contains(e.event()))
        .findFirst()
        .orElse(null);
  }

  static List<ServerSentEvent<String>> chunks(List<ServerSentEvent<String>> events) {
    return events.stream().filter(e -> "chunk".equals(e.event())).toList();
  }

  static String text(List<ServerSentEvent<String>> events) {
    return chunks(events).stream()
        .map(e -> JSON.readTree(e.data()).path("delta").asString())
        .collect(Collectors.joining());
  }

  /** The development LLM's non-streaming answer to the same conversation. */
  static String answer(String llmBaseUrl, String prompt) {
    JsonNode completion =
        WebClient.create(llmBaseUrl)
            .post()
            .uri("/v1/chat/completions")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(
                Map.of(
                    "model", MODEL, "messages", List.of(Map.of("role", "user", "content", prompt))))
            .retrieve()
            .bodyToMono(JsonNode.class)
            .block(WAIT);
    return completion.path("choices").path(0).path("message").path("content").asString();
  }

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

  static String bearer(String user) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader(JWSAlgorithm.HS256),
              new JWTClaimsSet.Builder()
                  .subject(user)
                  .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                  .build());
      jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
      return "Bearer " + jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
