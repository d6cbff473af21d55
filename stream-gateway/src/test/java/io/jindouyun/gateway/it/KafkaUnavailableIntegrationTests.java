package io.jindouyun.gateway.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.gateway.kafka.ReplyReader;
import io.jindouyun.gateway.recycle.WheelDeadlines;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The broker goes away: a handshake must answer 503 after its bounded retries and leave no
 * generation behind. Also runs without etcd, so the configured reply partition is used.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.instance.id=gw-down",
      "jindouyun.metrics.grpc-port=0",
      "jindouyun.etcd.endpoints=",
      "jindouyun.gateway.kafka.reply-partition=1",
      "jindouyun.gateway.stream.claim-timeout=5s",
      "jindouyun.gateway.stream.warm-timeout=500ms",
      "jindouyun.gateway.handshake.send.attempts=2",
      "jindouyun.gateway.handshake.send.backoff=50ms",
      "jindouyun.gateway.handshake.send.timeout=3s",
      "spring.kafka.producer.properties.max.block.ms=1000",
      "spring.kafka.producer.properties.request.timeout.ms=1000",
      "spring.kafka.producer.properties.delivery.timeout.ms=1500",
      "management.endpoint.health.show-components=always",
      "jindouyun.health.kafka.timeout=500ms",
      "jindouyun.health.kafka.cache-for=100ms"
    })
@AutoConfigureWebTestClient(timeout = "20s")
@Timeout(60)
class KafkaUnavailableIntegrationTests {

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  @Autowired WebTestClient client;
  @Autowired StreamMap streams;
  @Autowired WheelDeadlines deadlines;
  @Autowired ReplyReader replies;

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) {
    registry.add("spring.kafka.bootstrap-servers", kafka::bootstrapServers);
  }

  @BeforeAll
  static void topics() {
    kafka.createTopics(2, "chat.jobs", "chat.replies", "chat.control");
  }

  @Test
  void aHandshakeOrCompletionWhileKafkaIsDownAnswers503AndLeaksNoGeneration() {
    assertThat(replies.partition()).isEqualTo(1);
    ChatClient chats = new ChatClient(client);
    chats.cancel("quinn", chats.handshake("quinn", "up").streamId());
    readiness()
        .expectStatus()
        .isOk()
        .expectBody()
        .jsonPath("$.components.kafka.status")
        .isEqualTo("UP")
        .jsonPath("$.components.replies.status")
        .isEqualTo("UP");

    kafka.stop();
    chats
        .postHandshake(ChatClient.bearer("quinn"), ChatClient.body("down"))
        .expectStatus()
        .isEqualTo(503)
        .expectHeader()
        .exists(HttpHeaders.RETRY_AFTER)
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/unavailable");

    client
        .post()
        .uri("/v1/chat/completions")
        .header(HttpHeaders.AUTHORIZATION, ChatClient.bearer("quinn"))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(
            "{\"model\":\"jdy-dev-1\",\"messages\":[{\"role\":\"user\",\"content\":\"down\"}]}")
        .exchange()
        .expectStatus()
        .isEqualTo(503)
        .expectHeader()
        .exists(HttpHeaders.RETRY_AFTER)
        .expectBody()
        .jsonPath("$.error.type")
        .isEqualTo("server_error")
        .jsonPath("$.error.message")
        .isNotEmpty();

    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                readiness()
                    .expectStatus()
                    .isEqualTo(503)
                    .expectBody()
                    .jsonPath("$.components.kafka.status")
                    .isEqualTo("DOWN"));
    assertThat(streams.activeStreams()).isZero();
    assertThat(streams.bufferedBytes()).isZero();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(deadlines.pending()).isZero();
              assertThat(streams.users()).isZero();
            });
  }

  @Test
  void frameworkErrorsAreProblems() {
    client
        .get()
        .uri("/v1/no-such-thing")
        .header(HttpHeaders.AUTHORIZATION, ChatClient.bearer("quinn"))
        .exchange()
        .expectStatus()
        .isNotFound()
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status")
        .isEqualTo(404);
    client
        .post()
        .uri("/actuator/health")
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue("{}")
        .exchange()
        .expectStatus()
        .isEqualTo(405)
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.status")
        .isEqualTo(405);
    // a body that is not JSON is the gateway's own problem (it parses bodies itself)
    client
        .post()
        .uri("/v1/chat/handshake")
        .header(HttpHeaders.AUTHORIZATION, ChatClient.bearer("quinn"))
        .contentType(MediaType.TEXT_PLAIN)
        .bodyValue("hello")
        .exchange()
        .expectStatus()
        .isBadRequest()
        .expectHeader()
        .contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
  }

  private WebTestClient.ResponseSpec readiness() {
    return client.get().uri("/actuator/health/readiness").exchange();
  }
}
