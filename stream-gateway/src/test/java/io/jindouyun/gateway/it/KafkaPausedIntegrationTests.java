package io.jindouyun.gateway.it;

import static io.jindouyun.gateway.it.ChatClient.assertProblem;
import static io.jindouyun.gateway.it.ChatClient.bearer;
import static io.jindouyun.gateway.it.ChatClient.body;
import static io.jindouyun.gateway.it.ChatClient.textOf;
import static io.jindouyun.gateway.it.ChatClient.untilTerminal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.gateway.it.ChatClient.Handshake;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.testkit.KafkaProcessExtension;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;

/**
 * A failed handshake never kills the running one: with the Kafka broker frozen (SIGSTOP of its JVM)
 * a user's second handshake answers 503, and the first stream, which it would have superseded,
 * streams on to {@code done} once the broker is thawed.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.instance.id=gw-paused",
      "jindouyun.metrics.grpc-port=0",
      "jindouyun.etcd.endpoints=",
      "jindouyun.gateway.kafka.reply-partition=0",
      "jindouyun.gateway.handshake.send.attempts=2",
      "jindouyun.gateway.handshake.send.backoff=50ms",
      "jindouyun.gateway.handshake.send.timeout=2s",
      "spring.kafka.producer.properties.max.block.ms=1000",
      "spring.kafka.producer.properties.request.timeout.ms=1000",
      "spring.kafka.producer.properties.delivery.timeout.ms=1500"
    })
@AutoConfigureWebTestClient(timeout = "30s")
@Timeout(180)
class KafkaPausedIntegrationTests {

  private static final int PARTITIONS = 2;

  @RegisterExtension static final KafkaProcessExtension kafka = new KafkaProcessExtension();

  private static FakeLlm llm;

  @Autowired WebTestClient client;
  @Autowired StreamMap streams;

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
    if (llm != null) {
      llm.close();
    }
  }

  @Test
  void aHandshakeWhileKafkaIsPausedAnswers503AndTheRunningStreamStreamsOnToDone() {
    ChatClient chats = new ChatClient(client);
    Handshake first = chats.handshake("una", "the first question");
    ChatJob job = llm.awaitJob(first.streamId());
    Flux<ServerSentEvent<String>> reader = chats.stream("una", first.streamId());
    llm.chunk(job, 1, 0, "an answer ");
    await()
        .atMost(ChatClient.WAIT)
        .until(() -> streams.find("una", first.streamId()).bytes() == 10);

    kafka.pause();
    try {
      assertProblem(
          chats
              .postHandshake(bearer("una"), body("the second question"))
              .expectStatus()
              .isEqualTo(503)
              .expectHeader()
              .exists(HttpHeaders.RETRY_AFTER),
          "unavailable");
    } finally {
      kafka.resume();
    }
    assertThat(streams.activeStreams()).as("only the first stream").isEqualTo(1);

    llm.chunk(job, 1, 1, "that goes ");
    llm.last(job, 1, 2, "on");
    List<ServerSentEvent<String>> events = untilTerminal(reader);
    assertThat(textOf(events)).isEqualTo("an answer that goes on");
    assertThat(events.get(events.size() - 1).event()).isEqualTo("done");
    assertThat(events).noneMatch(e -> "superseded".equals(e.event()));
    assertThat(llm.cancelled(first.streamId())).as("the first answer was not cancelled").isFalse();
    chats.ack("una", first.streamId());
  }
}
