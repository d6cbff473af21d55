package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.devllm.DevLlmServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official {@code openai} npm package (pinned in {@code src/test/node/openai-sdk}, installed
 * with {@code npm ci}) against the real edge in front of the real fleet ({@link RealFleet}: two
 * gateways, an llm-consumer, Kafka, etcd, ipconfig, the development LLM in this JVM): a streamed
 * answer equal to the LLM's, a whole one, an abort mid-stream that closes the LLM call, and errors
 * the SDK reads as OpenAI's.
 */
@Timeout(300)
@Order(4)
class OpenAiSdkIntegrationTests {

  private static final Path SDK_DIR = Path.of("src/test/node/openai-sdk");
  private static final String MODEL = "jdy-dev-1";
  private static final String SHORT = "Tell me about the cloud [dev:tokens=40]";
  private static final String LONG = "A long one [dev:tokens=400] [dev:delay=20]";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @RegisterExtension static final RealFleet fleet = new RealFleet();

  /** The last class of the ones sharing the fleet: it stops it (see {@link RealFleet#release}). */
  @AfterAll
  static void releaseTheFleet() {
    RealFleet.release();
  }

  @BeforeAll
  static void installTheSdk() throws Exception {
    ToolRun install =
        ToolRun.run(
            SDK_DIR,
            Duration.ofMinutes(3),
            List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"));
    assertThat(install.exitCode()).as(install.output()).isZero();
  }

  /**
   * Issue 16, history through the edge: the second turn of a conversation (handshake with its
   * {@code conversationId}) reaches the development LLM with the first turn before it, and both
   * turns are listed by {@code GET /v1/conversations/{id}} through the edge.
   */
  @Test
  void theSecondTurnOfAConversationThroughTheEdgeCarriesTheFirst() throws Exception {
    String user = "turns-user";
    String first = "Name a cloud [dev:tokens=12] [dev:delay=1]";
    String second = "And another one [dev:tokens=12] [dev:delay=1]";
    JsonNode one = JSON.readTree(handshake(user, first, null).body());
    String conversation = one.path("conversationId").asString();
    assertThat(conversation).isNotBlank();
    ResumingReader firstRead = read(user, one.path("streamId").asString());
    String firstAnswer = firstRead.text();
    assertThat(firstAnswer).isEqualTo(answer(first));
    HttpResponse<String> ack =
        call(
            user,
            "POST",
            "/v1/chat/ack/" + one.path("streamId").asString(),
            "{\"lastEventId\":\"" + firstRead.lastChunkId() + "\"}");
    assertThat(ack.statusCode()).isEqualTo(204);

    HttpResponse<String> handshake = handshake(user, second, conversation);
    assertThat(handshake.statusCode()).as(handshake.body()).isEqualTo(202);
    JsonNode two = JSON.readTree(handshake.body());
    assertThat(two.path("conversationId").asString()).isEqualTo(conversation);
    String secondAnswer = read(user, two.path("streamId").asString()).text();

    assertThat(
            fleet.llm().received().stream()
                .filter(r -> r.get(r.size() - 1).content().equals(second))
                .findFirst()
                .orElseThrow())
        .containsExactly(
            new DevLlmServer.ReceivedMessage("user", first),
            new DevLlmServer.ReceivedMessage("assistant", firstAnswer),
            new DevLlmServer.ReceivedMessage("user", second));
    HttpResponse<String> stored = call(user, "GET", "/v1/conversations/" + conversation, null);
    assertThat(stored.statusCode()).as(stored.body()).isEqualTo(200);
    JsonNode turns = JSON.readTree(stored.body()).path("turns");
    assertThat(turns).hasSize(2);
    assertThat(turns.path(0).path("answer").asString()).isEqualTo(firstAnswer);
    assertThat(turns.path(0).path("delivered").asBoolean()).isTrue();
    assertThat(turns.path(1).path("answer").asString()).isEqualTo(secondAnswer);
    assertThat(call("someone-else", "GET", "/v1/conversations/" + conversation, null).statusCode())
        .isEqualTo(404);
  }

  private static HttpResponse<String> handshake(String user, String prompt, String conversation)
      throws Exception {
    return call(
        user,
        "POST",
        "/v1/chat/handshake",
        JSON.writeValueAsString(
            conversation == null
                ? Map.of("messages", List.of(Map.of("role", "user", "content", prompt)))
                : Map.of(
                    "conversationId",
                    conversation,
                    "messages",
                    List.of(Map.of("role", "user", "content", prompt)))));
  }

  private static HttpResponse<String> call(String user, String method, String path, String body)
      throws Exception {
    return RealSuite.http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + fleet.port() + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + RealSuite.jwt(user))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Reads a stream through the edge up to its end, as an EventSource would. */
  private static ResumingReader read(String user, String streamId) throws Exception {
    ResumingReader reader =
        new ResumingReader(
            RealSuite.http,
            URI.create("http://127.0.0.1:" + fleet.port() + "/v1/chat/stream/" + streamId),
            "Bearer " + RealSuite.jwt(user),
            3);
    reader.run();
    assertThat(reader.terminal()).as("%s: %s", streamId, reader.statuses).isNotNull();
    assertThat(reader.terminal().name()).isEqualTo("done");
    return reader;
  }

  @Test
  void theOfficialSdkStreamsReadsWholeAbortsAndReadsErrorsThroughTheEdge() throws Exception {
    long closed = fleet.llm().closedEarly();
    ToolRun run =
        ToolRun.run(
            SDK_DIR,
            Duration.ofMinutes(2),
            List.of(
                "node",
                "sdk-check.mjs",
                "http://127.0.0.1:" + fleet.port() + "/v1",
                RealSuite.jwt("sdk-user"),
                MODEL,
                SHORT,
                LONG));
    assertThat(run.exitCode()).as(run.output()).isZero();
    String line =
        run.output().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    JsonNode result = JSON.readTree(line.substring("RESULT ".length()));
    String expected = answer(SHORT);

    assertThat(result.path("streamText").asString()).isEqualTo(expected);
    assertThat(result.path("streamFinish").asString()).isEqualTo("stop");
    assertThat(result.path("streamUsageTotal").asInt()).isPositive();

    assertThat(result.path("wholeObject").asString()).isEqualTo("chat.completion");
    assertThat(result.path("wholeText").asString()).isEqualTo(expected);
    assertThat(result.path("wholeFinish").asString()).isEqualTo("stop");

    assertThat(result.path("abortedAfter").asInt()).isEqualTo(3);
    assertThat(fleet.llm().awaitClosedEarly(closed + 1, Duration.ofSeconds(30))).isTrue();

    assertThat(result.path("unknownModel").path("status").asInt()).isEqualTo(404);
    assertThat(result.path("unknownModel").path("code").asString()).isEqualTo("model_not_found");
    assertThat(result.path("twoChoices").path("status").asInt()).isEqualTo(400);
    assertThat(result.path("twoChoices").path("param").asString()).isEqualTo("n");
  }

  /** What the development LLM answers to {@code prompt}, asked straight. */
  private static String answer(String prompt) throws Exception {
    String body =
        JSON.writeValueAsString(
            Map.of("model", MODEL, "messages", List.of(Map.of("role", "user", "content", prompt))));
    HttpResponse<String> response =
        RealSuite.http.send(
            HttpRequest.newBuilder(URI.create(fleet.llm().baseUrl() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body())
        .path("choices")
        .path(0)
        .path("message")
        .path("content")
        .asString();
  }
}
