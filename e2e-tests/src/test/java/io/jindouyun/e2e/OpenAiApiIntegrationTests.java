package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.JSON;
import static io.jindouyun.e2e.Chats.answer;
import static io.jindouyun.e2e.Chats.bearer;
import static io.jindouyun.e2e.Chats.terminal;
import static io.jindouyun.e2e.Chats.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.gateway.StreamGatewayApplication;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAI-compatible API over the whole pipeline in one JVM (gateway, llm-consumer, the
 * development LLM, a KRaft broker, etcd): streamed and whole answers equal the LLM's, usage on
 * request, a client that goes away closes the LLM call, a user's requests run side by side (and
 * beside the user's chat) up to the per-user bound, and every refusal in OpenAI's error shape.
 */
@Timeout(180)
class OpenAiApiIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final Duration WAIT = Chats.WAIT;
  static final int MAX_PER_USER = 3; // e2e/gateway.yml

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
    consumer =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/consumer.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint());
    http =
        WebClient.builder()
            .baseUrl(
                "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"))
            .build();
    chats = new Chats(http);
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
  void aStreamedCompletionCarriesTheLlmsAnswerInChunksThenUsageThenDone() {
    String prompt = "Tell me about the cloud [dev:tokens=60] [dev:delay=1]";
    Map<String, Object> body = request(prompt, true);
    body.put("stream_options", Map.of("include_usage", true));

    List<String> data = stream("ada", body).collectList().block(WAIT);

    assertThat(data).last().isEqualTo("[DONE]");
    List<JsonNode> chunks = data.subList(0, data.size() - 1).stream().map(JSON::readTree).toList();
    assertThat(chunks)
        .allSatisfy(
            c -> assertThat(c.path("object").asString()).isEqualTo("chat.completion.chunk"));
    assertThat(chunks.get(0).path("choices").path(0).path("delta").path("role").asString())
        .isEqualTo("assistant");
    StringBuilder text = new StringBuilder();
    chunks.forEach(
        c -> text.append(c.path("choices").path(0).path("delta").path("content").asString("")));
    assertThat(text.toString()).isEqualTo(answer(llm.baseUrl(), prompt));
    JsonNode finish = chunks.get(chunks.size() - 2);
    assertThat(finish.path("choices").path(0).path("finish_reason").asString()).isEqualTo("stop");
    JsonNode usage = chunks.get(chunks.size() - 1);
    assertThat(usage.path("choices").isEmpty()).isTrue();
    assertThat(usage.path("usage").path("completion_tokens").asInt()).isPositive();
    assertThat(usage.path("usage").path("total_tokens").asInt())
        .isEqualTo(
            usage.path("usage").path("prompt_tokens").asInt()
                + usage.path("usage").path("completion_tokens").asInt());
    assertThat(chunks.get(1).has("usage")).isTrue();
    assertThat(chunks.get(1).path("usage").isNull()).isTrue();
    assertThat(chunks)
        .extracting(c -> c.path("id").asString())
        .containsOnly(chunks.get(0).path("id").asString());
  }

  @Test
  void aStreamedCompletionWithoutIncludeUsageSendsNoUsage() {
    List<String> data =
        stream("ben", request("Short [dev:tokens=5]", true)).collectList().block(WAIT);
    assertThat(data).last().isEqualTo("[DONE]");
    assertThat(data.subList(0, data.size() - 1))
        .allSatisfy(d -> assertThat(JSON.readTree(d).has("usage")).isFalse());
  }

  @Test
  void aWholeCompletionIsOneChatCompletionWithTheLlmsAnswerAndUsage() {
    String prompt = "Whole answer please [dev:tokens=30]";
    ResponseEntity<JsonNode> response = post("cat", request(prompt, false)).block(WAIT);
    assertThat(response.getStatusCode().value()).isEqualTo(200);
    JsonNode completion = response.getBody();
    assertThat(completion.path("object").asString()).isEqualTo("chat.completion");
    assertThat(completion.path("model").asString()).isEqualTo(Chats.MODEL);
    JsonNode choice = completion.path("choices").path(0);
    assertThat(choice.path("message").path("role").asString()).isEqualTo("assistant");
    assertThat(choice.path("message").path("content").asString())
        .isEqualTo(answer(llm.baseUrl(), prompt));
    assertThat(choice.path("finish_reason").asString()).isEqualTo("stop");
    assertThat(completion.path("usage").path("completion_tokens").asInt()).isPositive();
  }

  @Test
  void theModelsListNamesTheModelsTheGatewayAccepts() {
    JsonNode models =
        http.get()
            .uri("/v1/models")
            .header(HttpHeaders.AUTHORIZATION, bearer("dan"))
            .retrieve()
            .bodyToMono(JsonNode.class)
            .block(WAIT);
    assertThat(models.path("object").asString()).isEqualTo("list");
    assertThat(models.path("data").path(0).path("id").asString()).isEqualTo(Chats.MODEL);
    assertThat(models.path("data").path(0).path("object").asString()).isEqualTo("model");
  }

  @Test
  void aClientThatGoesAwayMidStreamClosesTheLlmCall() throws Exception {
    long closed = llm.closedEarly();
    List<String> seen = new CopyOnWriteArrayList<>();
    Disposable reading =
        stream("eli", request("A long one [dev:tokens=400] [dev:delay=20]", true))
            .subscribe(seen::add);
    try {
      await().atMost(WAIT).until(() -> seen.size() >= 4);
    } finally {
      reading.dispose();
    }
    assertThat(llm.awaitClosedEarly(closed + 1, WAIT)).isTrue();
    assertThat(seen).doesNotContain("[DONE]");
  }

  @Test
  void requestsOfOneUserRunSideBySideAndBesideTheUsersChat() {
    String user = "fay";
    String slow = "Side by side [dev:tokens=30] [dev:delay=20]";
    Chats.Handshake chat = chats.handshake(user, "The chat itself [dev:tokens=30] [dev:delay=20]");
    List<String> first = new CopyOnWriteArrayList<>();
    List<String> second = new CopyOnWriteArrayList<>();
    Disposable a = stream(user, request(slow, true)).subscribe(first::add);
    Disposable b = stream(user, request(slow, true)).subscribe(second::add);
    try {
      List<ServerSentEvent<String>> chatEvents = chats.readUntilTerminal(user, chat.streamId());
      await().atMost(WAIT).until(() -> first.contains("[DONE]") && second.contains("[DONE]"));
      assertThat(terminal(chatEvents).event()).isEqualTo("done");
      assertThat(text(chatEvents))
          .isEqualTo(answer(llm.baseUrl(), "The chat itself [dev:tokens=30] [dev:delay=20]"));
    } finally {
      a.dispose();
      b.dispose();
    }
    String expected = answer(llm.baseUrl(), slow);
    assertThat(contentOf(first)).isEqualTo(expected);
    assertThat(contentOf(second)).isEqualTo(expected);
  }

  @Test
  void aRequestOverTheUsersConcurrencyBoundGets429WithRetryAfter() {
    String user = "gus";
    long requests = llm.requests();
    List<Disposable> running = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_PER_USER; i++) {
        running.add(stream(user, request("Wait [dev:ttft=20000]", true)).subscribe());
      }
      await().atMost(WAIT).until(() -> llm.requests() >= requests + MAX_PER_USER);

      ResponseEntity<JsonNode> refused = post(user, request("one more", false)).block(WAIT);
      assertThat(refused.getStatusCode().value()).isEqualTo(429);
      assertThat(refused.getHeaders().getFirst(HttpHeaders.RETRY_AFTER)).isNotBlank();
      assertThat(refused.getBody().path("error").path("code").asString())
          .isEqualTo("rate_limit_exceeded");
    } finally {
      running.forEach(Disposable::dispose);
    }
    // the places come back once the requests have gone
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        post(user, request("after [dev:tokens=3]", false))
                            .block(WAIT)
                            .getStatusCode()
                            .value())
                    .isEqualTo(200));
  }

  @Test
  void refusalsComeInOpenAisErrorShapeWithTheirStatus() {
    assertError(post(null, request("hi", false)), 401, null, "invalid_api_key");
    assertError(
        http.post()
            .uri("/v1/chat/completions")
            .header(HttpHeaders.AUTHORIZATION, "Bearer not-a-jwt")
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(request("hi", false))
            .exchangeToMono(r -> r.toEntity(JsonNode.class)),
        401,
        null,
        "invalid_api_key");

    Map<String, Object> unknownModel = request("hi", false);
    unknownModel.put("model", "gpt-nope");
    assertError(post("hal", unknownModel), 404, "model", "model_not_found");

    Map<String, Object> twoChoices = request("hi", false);
    twoChoices.put("n", 2);
    assertError(post("hal", twoChoices), 400, "n", "unsupported_parameter");

    Map<String, Object> tools = request("hi", false);
    tools.put("tools", List.of(Map.of("type", "function", "function", Map.of("name", "f"))));
    assertError(post("hal", tools), 400, "tools", "unsupported_parameter");

    Map<String, Object> noMessages = request("hi", false);
    noMessages.remove("messages");
    assertError(post("hal", noMessages), 400, "messages", null);

    Map<String, Object> ignored = request("fine [dev:tokens=3]", false);
    ignored.put("user", "someone");
    ignored.put("seed", 7);
    ignored.put("top_p", 0.5);
    ignored.put("metadata", Map.of("k", "v"));
    assertThat(post("hal", ignored).block(WAIT).getStatusCode().value()).isEqualTo(200);

    assertError(post("hal", request("x".repeat(70_000), false)), 413, null, null);
  }

  // ---- helpers

  private static void assertError(
      Mono<ResponseEntity<JsonNode>> call, int status, String param, String code) {
    ResponseEntity<JsonNode> response = call.block(WAIT);
    assertThat(response.getStatusCode().value()).isEqualTo(status);
    JsonNode error = response.getBody().path("error");
    assertThat(error.path("message").asString()).isNotBlank();
    assertThat(error.path("type").asString()).isNotBlank();
    assertThat(error.has("param")).isTrue();
    assertThat(error.has("code")).isTrue();
    if (param != null) {
      assertThat(error.path("param").asString()).isEqualTo(param);
    }
    if (code != null) {
      assertThat(error.path("code").asString()).isEqualTo(code);
    }
  }

  private static Map<String, Object> request(String prompt, boolean stream) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", Chats.MODEL);
    body.put("messages", List.of(Map.of("role", "user", "content", prompt)));
    body.put("stream", stream);
    return body;
  }

  private static Mono<ResponseEntity<JsonNode>> post(String user, Map<String, Object> body) {
    WebClient.RequestBodySpec spec =
        http.post().uri("/v1/chat/completions").contentType(MediaType.APPLICATION_JSON);
    if (user != null) {
      spec = spec.header(HttpHeaders.AUTHORIZATION, bearer(user));
    }
    return spec.bodyValue(body).exchangeToMono(r -> r.toEntity(JsonNode.class));
  }

  /** The {@code data:} payloads of a streamed completion, comments left out. */
  private static Flux<String> stream(String user, Map<String, Object> body) {
    return http.post()
        .uri("/v1/chat/completions")
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .contentType(MediaType.APPLICATION_JSON)
        .accept(MediaType.TEXT_EVENT_STREAM)
        .bodyValue(body)
        .retrieve()
        .bodyToFlux(Chats.SSE)
        .filter(e -> e.data() != null)
        .map(ServerSentEvent::data);
  }

  private static String contentOf(List<String> data) {
    StringBuilder text = new StringBuilder();
    for (String d : data) {
      if (!d.equals("[DONE]")) {
        text.append(
            JSON.readTree(d).path("choices").path(0).path("delta").path("content").asString(""));
      }
    }
    return text.toString();
  }
}
