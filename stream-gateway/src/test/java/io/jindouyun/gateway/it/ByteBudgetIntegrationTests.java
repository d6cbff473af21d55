package io.jindouyun.gateway.it;

import static io.jindouyun.gateway.it.ChatClient.bearer;
import static io.jindouyun.gateway.it.ChatClient.body;
import static io.jindouyun.gateway.it.ChatClient.textOf;
import static io.jindouyun.gateway.it.ChatClient.untilTerminal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.gateway.it.ChatClient.Handshake;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.testkit.KafkaExtension;
import java.util.ArrayList;
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
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * The global byte budget holds through the real reply path: answers of 100 KB that nobody reads
 * fill a 1 MB budget, then handshakes get 503 with a problem body, a running answer whose next
 * chunk passes the limit ends with an {@code error} event, and once the buffers are released the
 * gateway serves new chats again.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {
      "jindouyun.instance.id=gw-budget",
      "jindouyun.metrics.grpc-port=0",
      "jindouyun.etcd.endpoints=",
      "jindouyun.gateway.kafka.reply-partition=0",
      "jindouyun.gateway.stream.global-byte-budget=1MB",
      "jindouyun.gateway.stream.max-bytes-per-stream=256KB"
    })
@AutoConfigureWebTestClient(timeout = "30s")
@Timeout(120)
class ByteBudgetIntegrationTests {

  private static final int PARTITIONS = 2;
  private static final String ANSWER = "x".repeat(100_000);
  private static final long LIMIT = 1 << 20;

  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

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

  private record Filler(String user, String streamId, ChatJob job) {}

  @Test
  void aFullBudgetAnswers503AndAPassingChunkEndsItsAnswerThenReleasedBuffersServeAgain() {
    ChatClient chats = new ChatClient(client);
    List<Filler> fillers = new ArrayList<>();
    EntityExchangeResult<byte[]> refused = null;
    for (int i = 0; i < 20 && refused == null; i++) { // 7/8 of 1 MB is about nine answers
      String user = "filler-" + i;
      EntityExchangeResult<byte[]> r =
          chats.postHandshake(bearer(user), body("long " + i)).expectBody().returnResult();
      if (r.getStatus().value() == 202) {
        String streamId =
            JsonMapper.shared().readTree(r.getResponseBody()).get("streamId").asString();
        fillers.add(fill(user, streamId));
      } else {
        refused = r;
      }
    }
    assertThat(refused).as("a handshake was refused").isNotNull();
    assertThat(refused.getStatus().value()).isEqualTo(503);
    assertThat(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotNull();
    assertThat(refused.getResponseHeaders().getContentType())
        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
    assertThat(JsonMapper.shared().readTree(refused.getResponseBody()).get("type").asString())
        .isEqualTo("https://jindouyun.io/problems/unavailable");
    assertThat(fillers).hasSizeGreaterThanOrEqualTo(8);
    assertThat(streams.bufferedBytes())
        .as("the budget counted what the buffers hold")
        .isBetween(LIMIT - LIMIT / 8, LIMIT);

    Filler running = fillers.get(0);
    var reader = chats.stream(running.user(), running.streamId());
    llm.chunk(running.job(), 1, 1, "y".repeat(100_000)); // its text array doubles past the limit
    List<ServerSentEvent<String>> events = untilTerminal(reader);
    ServerSentEvent<String> last = events.get(events.size() - 1);
    assertThat(last.event()).isEqualTo("error");
    assertThat(last.data()).contains("https://jindouyun.io/problems/unavailable");
    assertThat(llm.awaitCancel(running.streamId()).getReason()).isEqualTo("bounds");
    assertThat(streams.bufferedBytes()).as("its buffer was dropped").isLessThan(LIMIT);

    for (Filler f : fillers) {
      chats.cancel(f.user(), f.streamId());
    }
    await().atMost(ChatClient.WAIT).until(() -> streams.bufferedBytes() == 0);

    Handshake again = chats.handshake("after", "served again");
    llm.answer(llm.awaitJob(again.streamId()), 1, "served again", 4);
    assertThat(textOf(untilTerminal(chats.stream("after", again.streamId()))))
        .isEqualTo("served again");
    chats.ack("after", again.streamId());
    assertThat(streams.bufferedBytes()).isZero();
  }

  /** Writes a 100 KB first chunk of {@code streamId}'s answer and waits until it is buffered. */
  private Filler fill(String user, String streamId) {
    ChatJob job = llm.awaitJob(streamId);
    llm.chunk(job, 1, 0, ANSWER);
    await()
        .atMost(ChatClient.WAIT)
        .until(() -> streams.find(user, streamId).bytes() == ANSWER.length());
    return new Filler(user, streamId, job);
  }
}
