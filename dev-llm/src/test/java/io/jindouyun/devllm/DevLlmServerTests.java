package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.JsonNode;

@Timeout(15)
class DevLlmServerTests {

  private static final Duration MAX = Duration.ofSeconds(5);

  private static DevLlmServer server;
  private static OpenAiTestClient client;

  @BeforeAll
  static void start() {
    server =
        DevLlmServer.start(
            DevLlmSettings.DEFAULTS.withTiming(Duration.ZERO, Duration.ofMillis(1)).withTokens(32));
    client = new OpenAiTestClient(server.baseUrl());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void streamedDeltasConcatenateToTheNonStreamingContent() throws Exception {
    OpenAiTestClient.Stream stream =
        client.stream(OpenAiTestClient.body(true, "Tell me about clouds."), Map.of());
    JsonNode completion = completion("Tell me about clouds.", Map.of());

    assertThat(stream.status()).isEqualTo(200);
    assertThat(stream.contentType()).startsWith("text/event-stream");
    assertThat(stream.failure()).isNull();
    assertThat(stream.done()).isTrue();
    assertThat(stream.events().get(0).path("object").stringValue())
        .isEqualTo("chat.completion.chunk");
    assertThat(stream.events().get(0).at("/choices/0/delta/role").stringValue())
        .isEqualTo("assistant");
    assertThat(stream.contentChunks()).isEqualTo(32);
    assertThat(stream.finishReason()).isEqualTo("stop");
    assertThat(completion.path("object").stringValue()).isEqualTo("chat.completion");
    assertThat(completion.at("/choices/0/message/content").stringValue())
        .isNotEmpty()
        .isEqualTo(stream.text());
    assertThat(completion.at("/choices/0/finish_reason").stringValue()).isEqualTo("stop");
    assertThat(completion.at("/usage/completion_tokens").intValue()).isEqualTo(32);
    assertThat(completion.at("/usage/total_tokens").intValue())
        .isEqualTo(32 + completion.at("/usage/prompt_tokens").intValue());
  }

  @Test
  void sameRequestGivesSameTextAndDifferentRequestGivesDifferentText() throws Exception {
    String first = client.stream(OpenAiTestClient.body(true, "same"), Map.of()).text();
    String again = client.stream(OpenAiTestClient.body(true, "same"), Map.of()).text();
    String other = client.stream(OpenAiTestClient.body(true, "other"), Map.of()).text();

    assertThat(again).isEqualTo(first);
    assertThat(other).isNotEqualTo(first);
  }

  @Test
  void sameRequestGivesSameTextOnAnotherServer() throws Exception {
    try (DevLlmServer second = DevLlmServer.start(server.settings())) {
      String here = client.stream(OpenAiTestClient.body(true, "anywhere"), Map.of()).text();
      String there =
          new OpenAiTestClient(second.baseUrl())
              .stream(OpenAiTestClient.body(true, "anywhere"), Map.of()).text();
      assertThat(there).isEqualTo(here);
    }
  }

  @Test
  void maxTokensCutsTheAnswerWithFinishReasonLength() throws Exception {
    String full = client.stream(OpenAiTestClient.body(true, "cut me"), Map.of()).text();
    OpenAiTestClient.Stream cut =
        client.stream(OpenAiTestClient.body(true, "cut me", "\"max_tokens\":5"), Map.of());
    JsonNode completion =
        OpenAiTestClient.MAPPER.readTree(
            client
                .post(
                    OpenAiTestClient.body(false, "cut me", "\"max_completion_tokens\":5"), Map.of())
                .body());

    assertThat(cut.contentChunks()).isEqualTo(5);
    assertThat(cut.finishReason()).isEqualTo("length");
    assertThat(full).startsWith(cut.text()).isNotEqualTo(cut.text());
    assertThat(completion.at("/choices/0/finish_reason").stringValue()).isEqualTo("length");
    assertThat(completion.at("/choices/0/message/content").stringValue()).isEqualTo(cut.text());
  }

  @Test
  void includeUsageSendsAUsageChunkBeforeDone() throws Exception {
    OpenAiTestClient.Stream stream =
        client.stream(
            OpenAiTestClient.body(
                true, "usage please", "\"stream_options\":{\"include_usage\":true}"),
            Map.of());

    JsonNode last = stream.events().get(stream.events().size() - 1);
    assertThat(stream.done()).isTrue();
    assertThat(last.path("choices").isEmpty()).isTrue();
    assertThat(last.at("/usage/completion_tokens").intValue()).isEqualTo(32);
    assertThat(stream.events().get(0).has("usage")).isTrue();
  }

  @Test
  void answersCarryNonAsciiTextAndCharactersJsonMustEscape() throws Exception {
    OpenAiTestClient.Stream stream =
        client.stream(
            OpenAiTestClient.body(true, "everything"),
            Map.of("X-Dev-Tokens", "2000", "X-Dev-Token-Delay-Ms", "0"));

    assertThat(stream.contentChunks()).isEqualTo(2000);
    assertThat(stream.text()).contains("筋斗云", "🐒", "\"quoted\"", "line\nbreak", "back\\slash");
    assertThat(stream.events().get(1).at("/choices/0/delta/content").stringValue())
        .doesNotStartWith(" ");
    assertThat(stream.events().get(2).at("/choices/0/delta/content").stringValue()).startsWith(" ");
  }

  @Test
  void timeToFirstTokenFollowsTheHeader() throws Exception {
    long start = System.nanoTime();
    OpenAiTestClient.Stream stream =
        client.stream(
            OpenAiTestClient.body(true, "slow start"),
            Map.of("X-Dev-Ttft-Ms", "300", "X-Dev-Tokens", "2"));

    assertThat(stream.contentChunks()).isEqualTo(2);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }

  @Test
  void injected429CarriesRetryAfterAndTheOpenAiErrorShape() throws Exception {
    HttpResponse<String> response =
        client.post(OpenAiTestClient.body(true, "busy"), Map.of("X-Dev-Fail", "429"));

    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.headers().firstValue("retry-after")).hasValue("1");
    JsonNode error = OpenAiTestClient.MAPPER.readTree(response.body()).path("error");
    assertThat(error.path("type").stringValue()).isEqualTo("rate_limit_error");
    assertThat(error.path("code").stringValue()).isEqualTo("rate_limit_exceeded");
    assertThat(error.path("message").stringValue()).isNotBlank();
  }

  @Test
  void injected500ComesFromAPromptDirective() throws Exception {
    HttpResponse<String> response =
        client.post(OpenAiTestClient.body(true, "break [dev:fail=500]"), Map.of());

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(OpenAiTestClient.MAPPER.readTree(response.body()).at("/error/type").stringValue())
        .isEqualTo("server_error");
  }

  @Test
  void injected400IsAnInvalidRequestError() throws Exception {
    HttpResponse<String> response =
        client.post(OpenAiTestClient.body(false, "reject me [dev:fail=400]"), Map.of());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(OpenAiTestClient.MAPPER.readTree(response.body()).at("/error/type").stringValue())
        .isEqualTo("invalid_request_error");
  }

  @Test
  void errorMidSendsAnErrorEventAfterNTokensAndNoDone() throws Exception {
    OpenAiTestClient.Stream stream =
        client.stream(
            OpenAiTestClient.body(true, "fail later"),
            Map.of("X-Dev-Fail", "error-mid", "X-Dev-Fail-After", "3"));

    assertThat(stream.status()).isEqualTo(200);
    assertThat(stream.contentChunks()).isEqualTo(3);
    assertThat(stream.done()).isFalse();
    JsonNode last = stream.events().get(stream.events().size() - 1);
    assertThat(last.at("/error/type").stringValue()).isEqualTo("server_error");
    assertThat(last.at("/error/message").stringValue()).isNotBlank();
  }

  @Test
  void dropMidEndsTheConnectionAfterNTokensWithoutDone() throws Exception {
    long closedBefore = server.closedEarly();
    OpenAiTestClient.Stream stream =
        OpenAiTestClient.rawStream(
            server.port(),
            OpenAiTestClient.body(true, "drop later [dev:fail=drop-mid] [dev:fail-after=4]"),
            Map.of());

    assertThat(stream.contentChunks()).isEqualTo(4);
    assertThat(stream.done()).isFalse();
    assertThat(stream.failure()).isNotNull();
    assertThat(stream.finishReason()).isNull();
    assertThat(server.closedEarly()).isEqualTo(closedBefore);
  }

  @Test
  void dropMidWithoutStreamingClosesTheConnectionWithoutAResponse() {
    long closedBefore = server.closedEarly();

    assertThatThrownBy(
            () ->
                client.post(
                    OpenAiTestClient.body(false, "drop me"), Map.of("X-Dev-Fail", "drop-mid")))
        .isInstanceOf(IOException.class);
    assertThat(server.closedEarly()).isEqualTo(closedBefore);
  }

  @Test
  void errorMidWithoutStreamingIsA500AfterTheTokensTime() throws Exception {
    HttpResponse<String> response =
        client.post(OpenAiTestClient.body(false, "fail whole"), Map.of("X-Dev-Fail", "error-mid"));

    assertThat(response.statusCode()).isEqualTo(500);
    assertThat(OpenAiTestClient.MAPPER.readTree(response.body()).at("/error/code").stringValue())
        .isEqualTo("injected_error_mid");
  }

  @Test
  void failTimesFailsOnlyTheFirstRequestsWithTheSameAnswerKey() throws Exception {
    String prompt = "retry me [dev:fail=500] [dev:fail-times=1]";
    HttpResponse<String> first = client.post(OpenAiTestClient.body(true, prompt), Map.of());
    OpenAiTestClient.Stream second = client.stream(OpenAiTestClient.body(true, prompt), Map.of());
    HttpResponse<String> third = client.post(OpenAiTestClient.body(false, prompt), Map.of());

    assertThat(first.statusCode()).isEqualTo(500);
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.done()).isTrue();
    assertThat(third.statusCode()).isEqualTo(200);
  }

  @Test
  void dropMidOnceThenTheFullAnswer() throws Exception {
    Map<String, String> once = Map.of("X-Dev-Fail", "drop-mid", "X-Dev-Fail-Times", "1");
    OpenAiTestClient.Stream dropped =
        OpenAiTestClient.rawStream(server.port(), OpenAiTestClient.body(true, "restart me"), once);
    OpenAiTestClient.Stream full = client.stream(OpenAiTestClient.body(true, "restart me"), once);

    assertThat(dropped.done()).isFalse();
    assertThat(dropped.contentChunks()).isEqualTo(16);
    assertThat(full.done()).isTrue();
    assertThat(full.text()).startsWith(dropped.text());
    assertThat(full.text())
        .isEqualTo(
            completion("restart me", Map.of()).at("/choices/0/message/content").stringValue());
  }

  @Test
  void clientClosingMidStreamIsCountedOnceAndStopsTheTokens() throws Exception {
    long before = server.closedEarly();
    HttpResponse<InputStream> response =
        client.open(
            OpenAiTestClient.body(true, "long answer"),
            Map.of("X-Dev-Tokens", "1000", "X-Dev-Token-Delay-Ms", "10"));
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      int contentLines = 0;
      while (contentLines < 3) {
        String line = reader.readLine();
        assertThat(line).isNotNull();
        if (line.contains("\"content\"")) {
          contentLines++;
        }
      }
    }

    assertThat(server.awaitClosedEarly(before + 1, MAX)).isTrue();
    long tokens = server.tokensSent();
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> server.closedEarly() == before + 1 && server.tokensSent() == tokens);
  }

  @Test
  void clientClosingBeforeTheFirstTokenIsCounted() throws Exception {
    long before = server.closedEarly();
    long tokens = server.tokensSent();
    try (Socket socket =
        rawPost(OpenAiTestClient.body(true, "never mind"), "X-Dev-Ttft-Ms: 5000")) {
      readUntil(socket.getInputStream(), "\"role\":\"assistant\"");
    }

    assertThat(server.awaitClosedEarly(before + 1, MAX)).isTrue();
    assertThat(server.tokensSent()).isEqualTo(tokens);
  }

  @Test
  void clientClosingWhileWaitingForANonStreamingAnswerIsCounted() throws Exception {
    long before = server.closedEarly();
    long requests = server.requests();
    try (Socket socket =
        rawPost(OpenAiTestClient.body(false, "whole answer"), "X-Dev-Ttft-Ms: 5000")) {
      await().atMost(MAX).until(() -> server.requests() == requests + 1);
      assertThat(socket.isConnected()).isTrue();
    }

    assertThat(server.awaitClosedEarly(before + 1, MAX)).isTrue();
  }

  @Test
  void modelsAreListed() throws Exception {
    HttpResponse<String> response = client.get("/v1/models");

    JsonNode models = OpenAiTestClient.MAPPER.readTree(response.body());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(models.path("object").stringValue()).isEqualTo("list");
    assertThat(models.at("/data/0/id").stringValue()).isEqualTo("jdy-dev-1");
    assertThat(models.at("/data/0/object").stringValue()).isEqualTo("model");
    assertThat(models.at("/data/0/owned_by").stringValue()).isEqualTo("jindouyun");
  }

  @Test
  void healthIsUp() throws Exception {
    HttpResponse<String> response = client.get("/health");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("{\"status\":\"UP\"}");
  }

  @Test
  void unknownPathsAnswer404InTheOpenAiErrorShape() throws Exception {
    HttpResponse<String> response = client.get("/v1/embeddings");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(OpenAiTestClient.MAPPER.readTree(response.body()).at("/error/code").stringValue())
        .isEqualTo("unknown_url");
    assertThat(response.body()).contains("GET /v1/embeddings");
  }

  @Test
  void malformedJsonIsABadRequest() throws Exception {
    HttpResponse<String> response = client.post("{\"model\": \"jdy-dev-1\", ", Map.of());

    assertThat(response.statusCode()).isEqualTo(400);
    JsonNode error = OpenAiTestClient.MAPPER.readTree(response.body()).path("error");
    assertThat(error.path("type").stringValue()).isEqualTo("invalid_request_error");
    assertThat(error.path("message").stringValue()).isNotBlank();
  }

  @Test
  void missingMessagesIsABadRequest() throws Exception {
    HttpResponse<String> response =
        client.post("{\"model\":\"jdy-dev-1\",\"stream\":true}", Map.of());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(OpenAiTestClient.MAPPER.readTree(response.body()).at("/error/param").stringValue())
        .isEqualTo("messages");
  }

  @Test
  void unknownDirectiveIsABadRequest() throws Exception {
    HttpResponse<String> response =
        client.post(OpenAiTestClient.body(true, "[dev:explode=1]"), Map.of());

    assertThat(response.statusCode()).isEqualTo(400);
    assertThat(response.body()).contains("explode");
  }

  @Test
  void bodiesOverTheLimitAreRejected() throws Exception {
    try (DevLlmServer small = DevLlmServer.start(DevLlmSettings.DEFAULTS.withMaxBodyBytes(200))) {
      HttpResponse<String> response =
          new OpenAiTestClient(small.baseUrl())
              .post(OpenAiTestClient.body(false, "x".repeat(300)), Map.of());

      assertThat(response.statusCode()).isEqualTo(413);
      assertThat(response.body()).contains("\"error\"");
    }
  }

  @Test
  void aConfiguredKeyIsRequiredOnTheApiButNotOnHealth() throws Exception {
    try (DevLlmServer keyed = DevLlmServer.start(DevLlmSettings.DEFAULTS.withApiKey("sk-dev"))) {
      OpenAiTestClient keyedClient = new OpenAiTestClient(keyed.baseUrl());
      String body = OpenAiTestClient.body(false, "hello");

      assertThat(keyedClient.post(body, Map.of()).statusCode()).isEqualTo(401);
      assertThat(keyedClient.post(body, Map.of("Authorization", "Bearer wrong")).statusCode())
          .isEqualTo(401);
      assertThat(keyedClient.post(body, Map.of("Authorization", "Bearer sk-dev")).statusCode())
          .isEqualTo(200);
      assertThat(keyedClient.get("/v1/models").statusCode()).isEqualTo(401);
      assertThat(keyedClient.get("/health").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void requestsBeyondTheInFlightBoundAreRejectedWith503() throws Exception {
    DevLlmSettings one =
        new DevLlmSettings(
            "127.0.0.1",
            0,
            Duration.ofSeconds(10),
            Duration.ZERO,
            4,
            FailMode.NONE,
            -1,
            0,
            null,
            1024,
            64,
            Duration.ofSeconds(60),
            1,
            16,
            Duration.ofSeconds(2),
            Duration.ofSeconds(60));
    try (DevLlmServer small = DevLlmServer.start(one);
        Socket waiting =
            rawPost(small.port(), OpenAiTestClient.body(true, "hold"), "X-Dev-Tokens: 1")) {
      readUntil(waiting.getInputStream(), "\"role\":\"assistant\"");

      HttpResponse<String> rejected =
          new OpenAiTestClient(small.baseUrl())
              .post(OpenAiTestClient.body(false, "next"), Map.of());

      assertThat(rejected.statusCode()).isEqualTo(503);
      assertThat(rejected.headers().firstValue("retry-after")).hasValue("2");
      assertThat(small.activeRequests()).isEqualTo(1);
    }
  }

  @Test
  void closingTheServerEndsOpenStreams() throws Exception {
    DevLlmServer closing = DevLlmServer.start(server.settings());
    try (Socket open =
        rawPost(closing.port(), OpenAiTestClient.body(true, "forever"), "X-Dev-Ttft-Ms: 30000")) {
      readUntil(open.getInputStream(), "\"role\":\"assistant\"");

      closing.close();
      assertThat(closing.closedEarly()).as("the server's own close is not the client's").isZero();

      String rest = new String(open.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(rest).doesNotContain("[DONE]", "\"content\"");
    }
  }

  private static JsonNode completion(String userContent, Map<String, String> headers)
      throws Exception {
    HttpResponse<String> response = client.post(OpenAiTestClient.body(false, userContent), headers);
    assertThat(response.statusCode()).isEqualTo(200);
    return OpenAiTestClient.MAPPER.readTree(response.body());
  }

  private static Socket rawPost(String body, String header) throws Exception {
    return rawPost(server.port(), body, header);
  }

  private static Socket rawPost(int port, String body, String header) throws Exception {
    Socket socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout((int) MAX.toMillis());
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + "Content-Type: application/json\r\n"
            + header
            + "\r\nContent-Length: "
            + bytes.length
            + "\r\n\r\n";
    OutputStream out = socket.getOutputStream();
    out.write(head.getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
    return socket;
  }

  private static void readUntil(InputStream in, String marker) throws Exception {
    StringBuilder seen = new StringBuilder();
    byte[] buffer = new byte[1024];
    while (seen.indexOf(marker) < 0) {
      int n = in.read(buffer);
      assertThat(n).as("bytes before '%s' in %s", marker, seen).isPositive();
      seen.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
    }
  }
}
