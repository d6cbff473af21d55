package io.jindouyun.gateway.it;

import static io.jindouyun.gateway.it.ChatClient.assertProblem;
import static io.jindouyun.gateway.it.ChatClient.bearer;
import static io.jindouyun.gateway.it.ChatClient.body;
import static io.jindouyun.gateway.it.ChatClient.textOf;
import static io.jindouyun.gateway.it.ChatClient.untilTerminal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.gateway.kafka.ReplyConsumerFactory;
import io.jindouyun.gateway.kafka.ReplyReader;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.http.HttpHeaders;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

/**
 * Every stream ends, and a reader cannot die silently: an expired job and a stream past its maximum
 * lifetime end with {@code error}; a reply reader whose consumer throws turns readiness DOWN and
 * handshakes into 503s, then recovers and loses no chunk. The test plays the LLM consumer with
 * plain Kafka clients; the reply consumer's fault is injected by a test-only factory bean.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.instance.id=gw-ends",
      "jindouyun.metrics.grpc-port=0",
      "jindouyun.etcd.endpoints=",
      "jindouyun.gateway.kafka.reply-partition=0",
      "jindouyun.gateway.stream.max-lifetime=3s",
      "jindouyun.gateway.stream.ack-timeout=1s",
      "jindouyun.gateway.stream.warm-timeout=500ms",
      "jindouyun.gateway.stream.ping-interval=1s"
    })
@AutoConfigureWebTestClient(timeout = "20s")
@Timeout(90)
class StreamEndsIntegrationTests {

  private static final int PARTITIONS = 2;
  private static final Duration WAIT = ChatClient.WAIT;

  /** While set, every poll of the gateway's reply consumer throws. */
  private static final AtomicBoolean REPLIES_BROKEN = new AtomicBoolean();

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  private static FakeLlm llm;

  @Autowired WebTestClient client;
  @Autowired StreamMap streams;
  @Autowired ReplyReader replies;
  private ChatClient chats;

  /** Reply consumers that fail on purpose while {@link #REPLIES_BROKEN} is set. */
  @TestConfiguration(proxyBeanMethods = false)
  static class FaultyReplies {

    @Bean
    @Primary
    ReplyConsumerFactory faultyReplyConsumers() {
      return config ->
          new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer()) {
            @Override
            public ConsumerRecords<String, byte[]> poll(Duration timeout) {
              if (REPLIES_BROKEN.get()) {
                throw new KafkaException("injected: the reply consumer is broken");
              }
              return super.poll(timeout);
            }
          };
    }
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", kafka::bootstrapServers);
  }

  @BeforeAll
  static void topicsAndFakeConsumer() {
    kafka.createTopics(PARTITIONS, "chat.jobs", "chat.replies", "chat.control");
    llm = new FakeLlm(kafka.bootstrapServers(), PARTITIONS);
  }

  @AfterAll
  static void closeFakeConsumer() {
    llm.close();
  }

  @BeforeEach
  void newClient() {
    chats = new ChatClient(client);
  }

  @AfterEach
  void everyStreamIsReleased() {
    REPLIES_BROKEN.set(false);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(streams.bufferedBytes()).isZero();
              assertThat(streams.activeStreams()).isZero();
            });
  }

  @Test
  void anExpiredJobEndsItsStreamWithAnErrorEvent() {
    Chat chat = open("ed", "too slow");
    llm.chunk(chat.job(), 1, 0, "the start ");
    llm.expired(chat.job(), 1, 1);
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    assertThat(textOf(events)).isEqualTo("the start ");
    ServerSentEvent<String> last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("error");
    assertThat(last.data())
        .contains("\"type\":\"https://jindouyun.io/problems/job-expired\"")
        .contains("\"status\":504");
    chats.ack("ed", chat.streamId());
  }

  @Test
  void aStreamPastItsMaximumLifetimeEndsWithAnErrorAndIsCancelledUpstream() {
    long start = System.nanoTime();
    Chat chat = open("lou", "never ends");
    llm.chunk(chat.job(), 1, 0, "on and on ");
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(2500));
    assertThat(textOf(events)).isEqualTo("on and on ");
    ServerSentEvent<String> last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("error");
    assertThat(last.data()).contains("https://jindouyun.io/problems/stream-expired");
    assertThat(llm.awaitCancel(chat.streamId()).getReason()).isEqualTo("expired-lifetime");
    assertThat(streams.bufferedBytes()).isZero();
    chats.get("lou", chat.streamId()).expectStatus().isNotFound();
  }

  @Test
  void aReplyReaderWhoseConsumerThrowsIsDownRefusesHandshakesThenRecoversWithoutLosingChunks() {
    Chat chat = open("rita", "through the outage");
    llm.chunk(chat.job(), 1, 0, "before ");
    await().atMost(WAIT).until(() -> streams.find("rita", chat.streamId()).bytes() == 7);

    REPLIES_BROKEN.set(true);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                client
                    .get()
                    .uri("/actuator/health/readiness")
                    .exchange()
                    .expectStatus()
                    .isEqualTo(503));
    assertThat(replies.reading()).isFalse();
    assertProblem(
        chats
            .postHandshake(bearer("sam"), body("while down"))
            .expectStatus()
            .isEqualTo(503)
            .expectHeader()
            .exists(HttpHeaders.RETRY_AFTER),
        "unavailable");
    llm.chunk(chat.job(), 1, 1, "during ");

    REPLIES_BROKEN.set(false);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk());
    llm.last(chat.job(), 1, 2, "after");
    List<ServerSentEvent<String>> events = untilTerminal(chat.reader());
    assertThat(textOf(events)).isEqualTo("before during after");
    assertThat(events.get(events.size() - 1).event()).isEqualTo("done");
    chats.ack("rita", chat.streamId());

    Chat later = open("sam", "after the outage");
    llm.answer(later.job(), 1, "fine again", 4);
    assertThat(textOf(untilTerminal(later.reader()))).isEqualTo("fine again");
    chats.ack("sam", later.streamId());
  }

  /** A chat whose job the fake LLM has received, with a reader from the start. */
  private record Chat(
      ChatClient.Handshake handshake, ChatJob job, Flux<ServerSentEvent<String>> reader) {
    String streamId() {
      return handshake.streamId();
    }
  }

  private Chat open(String user, String prompt) {
    ChatClient.Handshake hs = chats.handshake(user, prompt);
    ChatJob job = llm.awaitJob(hs.streamId());
    return new Chat(hs, job, chats.stream(user, hs.streamId()));
  }
}
