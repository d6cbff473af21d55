package io.jindouyun.consumer.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.consumer.job.FailureClassifier;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/** The client against the development LLM over real connections. */
@Timeout(60)
class OpenAiStreamingClientTests {

  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final JsonMapper MAPPER = JsonMapper.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final FailureClassifier CLASSIFIER =
      new FailureClassifier(OpenAiStreamingClient.TRANSPORT_FAILURES);

  static DevLlmServer llm;
  static OpenAiStreamingClient client;

  @BeforeAll
  static void start() {
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    client = client(URI.create(llm.baseUrl()), 262_144);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (llm != null) {
      llm.close();
    }
  }

  private static OpenAiStreamingClient client(URI baseUrl, int maxEventBytes) {
    return new OpenAiStreamingClient(
        new OpenAiStreamingClient.Settings(
            baseUrl, "", Duration.ofSeconds(2), Duration.ofSeconds(10), 64, maxEventBytes),
        MAPPER);
  }

  private static LlmRequest request(String prompt) {
    return new LlmRequest(
        DevLlmServer.MODEL_1, List.of(new LlmRequest.Message("user", prompt)), null, null);
  }

  /** The answer the development LLM gives {@code prompt} without streaming. */
  private static String answer(String prompt) throws Exception {
    String body =
        MAPPER.writeValueAsString(
            Map.of(
                "model",
                DevLlmServer.MODEL_1,
                "messages",
                List.of(Map.of("role", "user", "content", prompt))));
    HttpResponse<String> response =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(llm.baseUrl() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return MAPPER
        .readTree(response.body())
        .path("choices")
        .path(0)
        .path("message")
        .path("content")
        .asString();
  }

  private static String text(List<LlmEvent> events) {
    return events.stream()
        .filter(LlmEvent.Delta.class::isInstance)
        .map(e -> ((LlmEvent.Delta) e).text())
        .collect(Collectors.joining());
  }

  @Test
  void streamsTheExactAnswerAsDeltasThenItsFinishWithUsage() throws Exception {
    String prompt = "Tell me about the cloud [dev:tokens=200] [dev:delay=0] [dev:ttft=0]";

    List<LlmEvent> events = client.stream(request(prompt)).collectList().block(WAIT);

    assertThat(events).isNotNull();
    assertThat(text(events)).isEqualTo(answer(prompt));
    assertThat(events.subList(0, events.size() - 1)).allMatch(LlmEvent.Delta.class::isInstance);
    LlmEvent.Finish finish = (LlmEvent.Finish) events.get(events.size() - 1);
    assertThat(finish.reason()).isEqualTo("stop");
    assertThat(finish.usage().completionTokens()).isEqualTo(200);
  }

  @Test
  void aSubscriberAskingForOneEventAtATimeGetsEveryDelta() throws Exception {
    String prompt = "One by one [dev:tokens=150] [dev:delay=0] [dev:ttft=0]";

    List<LlmEvent> events = client.stream(request(prompt)).limitRate(1).collectList().block(WAIT);

    assertThat(events).isNotNull();
    assertThat(text(events)).isEqualTo(answer(prompt));
    assertThat(events.get(events.size() - 1)).isInstanceOf(LlmEvent.Finish.class);
  }

  @Test
  void concurrentStreamsEachGetTheirOwnAnswer() throws Exception {
    List<String> prompts = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      prompts.add("Stream " + i + " [dev:tokens=60] [dev:delay=1]");
    }

    List<String> texts =
        Flux.fromIterable(prompts)
            .flatMapSequential(p -> client.stream(request(p)).collectList().map(e -> text(e)))
            .collectList()
            .block(WAIT);

    List<String> expected = new ArrayList<>();
    for (String prompt : prompts) {
      expected.add(answer(prompt));
    }
    assertThat(texts).isEqualTo(expected);
  }

  @Test
  void aRateLimitIsAnHttpErrorWithItsRetryAfter() {
    assertThatThrownBy(() -> client.stream(request("Busy [dev:fail=429]")).blockLast(WAIT))
        .isInstanceOfSatisfying(
            LlmHttpException.class,
            e -> {
              assertThat(e.status()).isEqualTo(429);
              assertThat(e.retryAfter()).isEqualTo(Duration.ofSeconds(1));
              assertThat(CLASSIFIER.isTransient(e)).isTrue();
            });
  }

  @Test
  void aBadRequestIsAnHttpErrorQuotingItsBody() {
    assertThatThrownBy(() -> client.stream(request("Bad [dev:fail=400]")).blockLast(WAIT))
        .isInstanceOfSatisfying(
            LlmHttpException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.getMessage()).contains("LLM answered 400: {\"error\"");
              assertThat(CLASSIFIER.isTransient(e)).isFalse();
            });
  }

  @Test
  void anErrorEventMidStreamFailsTheStreamAfterItsDeltas() {
    List<LlmEvent> seen = new ArrayList<>();
    Flux<LlmEvent> stream =
        client.stream(request("Breaks [dev:tokens=20] [dev:fail=error-mid] [dev:fail-after=5]"))
            .doOnNext(seen::add);

    assertThatThrownBy(() -> stream.blockLast(WAIT)).isInstanceOf(LlmStreamException.class);
    assertThat(seen).hasSize(5).allMatch(LlmEvent.Delta.class::isInstance);
  }

  @Test
  void aConnectionDroppedMidStreamIsATransientFailure() {
    Flux<LlmEvent> stream =
        client.stream(request("Drops [dev:tokens=20] [dev:fail=drop-mid] [dev:fail-after=5]"));

    assertThatThrownBy(() -> stream.blockLast(WAIT))
        .satisfies(e -> assertThat(CLASSIFIER.isTransient(e)).as(e.toString()).isTrue());
  }

  @Test
  void cancellingTheStreamClosesItsConnection() {
    long before = llm.closedEarly();

    List<LlmEvent> firstThree =
        client.stream(request("Long [dev:tokens=500] [dev:delay=20]"))
            .take(3)
            .collectList()
            .block(WAIT);

    assertThat(firstThree).hasSize(3);
    assertThat(llm.awaitClosedEarly(before + 1, WAIT)).isTrue();
  }

  @Test
  void anEventOverMaxEventBytesIsAProtocolError() {
    try (OpenAiStreamingClient small = client(URI.create(llm.baseUrl()), 64)) {
      assertThatThrownBy(() -> small.stream(request("Hello [dev:tokens=3]")).blockLast(WAIT))
          .isInstanceOf(LlmProtocolException.class)
          .hasMessageContaining("over the limit of 64 bytes");
    }
  }

  @Test
  void anLlmThatIsNotListeningIsATransientFailure() throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    try (OpenAiStreamingClient nowhere = client(URI.create("http://127.0.0.1:" + port), 262_144)) {
      assertThatThrownBy(() -> nowhere.stream(request("Hello")).blockLast(WAIT))
          .satisfies(e -> assertThat(CLASSIFIER.isTransient(e)).as(e.toString()).isTrue());
    }
  }
}
