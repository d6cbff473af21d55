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
import io.jindouyun.testkit.KafkaExtension;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
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
import org.springframework.http.HttpHeaders;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.kafka.support.KafkaHeaders;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

/**
 * The whole stream pipeline in one JVM: stream-gateway and llm-consumer (each its own Spring
 * context), the development LLM, an embedded KRaft Kafka broker and a real etcd process. The
 * browser's three requests go to the gateway over HTTP; everything else is the real thing.
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
    chats = new Chats(http);
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
