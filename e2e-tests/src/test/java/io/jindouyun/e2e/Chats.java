package io.jindouyun.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The browser's side of the chat API against one gateway, as the end-to-end tests use it:
 * handshake, SSE reader, ack, with tokens signed by the development secret; and what the tests read
 * from the events they collect. Every call waits at most {@link #WAIT}.
 */
final class Chats {

  static final String SECRET = "jindouyun-dev-secret-change-me-0123456789abcdef";
  static final String MODEL = "jdy-dev-1";
  static final Duration WAIT = Duration.ofSeconds(30);
  static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};
  static final JsonMapper JSON = JsonMapper.builder().build();

  /** The events after which the gateway sends nothing more on a stream. */
  private static final List<String> TERMINAL = List.of("done", "error", "superseded");

  /** A handshake's answer: the stream to read and its generation. */
  record Handshake(String streamId, long generation) {}

  private final WebClient http;

  /** Chats through the gateway at {@code http}'s base URL. */
  Chats(WebClient http) {
    this.http = http;
  }

  /** Opens a chat of one user message {@code prompt} to {@link #MODEL} as {@code user}. */
  Handshake handshake(String user, String prompt) {
    JsonNode body =
        http.post()
            .uri("/v1/chat/handshake")
            .header(HttpHeaders.AUTHORIZATION, bearer(user))
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(conversation(prompt))
            .retrieve()
            .bodyToMono(JsonNode.class)
            .block(WAIT);
    return new Handshake(body.path("streamId").asString(), body.path("generation").asLong());
  }

  /** A handshake's answer with the conversation the answer is stored in. */
  record Opened(String streamId, long generation, String conversationId) {}

  /**
   * Opens a chat of one user message {@code prompt} in conversation {@code conversationId} (null: a
   * new one) as {@code user}.
   */
  Opened open(String user, String prompt, String conversationId) {
    Map<String, Object> body = new HashMap<>(conversation(prompt));
    if (conversationId != null) {
      body.put("conversationId", conversationId);
    }
    JsonNode answer =
        http.post()
            .uri("/v1/chat/handshake")
            .header(HttpHeaders.AUTHORIZATION, bearer(user))
            .contentType(MediaType.APPLICATION_JSON)
            .bodyValue(body)
            .retrieve()
            .bodyToMono(JsonNode.class)
            .block(WAIT);
    return new Opened(
        answer.path("streamId").asString(),
        answer.path("generation").asLong(),
        answer.path("conversationId").asString());
  }

  /** A response's status and JSON body (null when it has none). */
  record Reply(int status, JsonNode body) {}

  /** Sends {@code method} {@code path} as {@code user} with an optional JSON body. */
  Reply call(String user, HttpMethod method, String path, Object body) {
    WebClient.RequestBodySpec spec =
        http.method(method).uri(path).header(HttpHeaders.AUTHORIZATION, bearer(user));
    WebClient.RequestHeadersSpec<?> request =
        body == null ? spec : spec.contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    return request
        .exchangeToMono(
            response ->
                response
                    .bodyToMono(String.class)
                    .map(text -> new Reply(response.statusCode().value(), JSON.readTree(text)))
                    .defaultIfEmpty(new Reply(response.statusCode().value(), null)))
        .block(WAIT);
  }

  /** Reads {@code streamId} as {@code user}, adding every named event to {@code into}. */
  Disposable read(String user, String streamId, List<ServerSentEvent<String>> into) {
    return http.get()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .accept(MediaType.TEXT_EVENT_STREAM)
        .retrieve()
        .bodyToFlux(SSE)
        .filter(e -> e.event() != null)
        .subscribe(into::add);
  }

  /**
   * Reads {@code streamId} as {@code user} until a terminal event (at most {@link #WAIT}), then
   * stops reading; the named events read, the terminal one last.
   */
  List<ServerSentEvent<String>> readUntilTerminal(String user, String streamId) {
    List<ServerSentEvent<String>> events = new CopyOnWriteArrayList<>();
    Disposable reading = read(user, streamId, events);
    try {
      await().atMost(WAIT).until(() -> terminal(events) != null);
    } finally {
      reading.dispose();
    }
    return events;
  }

  /** Acks {@code streamId} up to {@code lastEventId} as {@code user} and asserts 204. */
  void ack(String user, String streamId, String lastEventId) {
    int status =
        http.post()
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

  /** The first terminal event of {@code events}, or null while there is none. */
  static ServerSentEvent<String> terminal(List<ServerSentEvent<String>> events) {
    return events.stream().filter(e -> TERMINAL.contains(e.event())).findFirst().orElse(null);
  }

  static List<ServerSentEvent<String>> chunks(List<ServerSentEvent<String>> events) {
    return events.stream().filter(e -> "chunk".equals(e.event())).toList();
  }

  /** The text of the chunks of {@code events}, joined. */
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
            .bodyValue(conversation(prompt))
            .retrieve()
            .bodyToMono(JsonNode.class)
            .block(WAIT);
    return completion.path("choices").path(0).path("message").path("content").asString();
  }

  /** An HS256 token for {@code user}, signed with {@link #SECRET}, valid for ten minutes. */
  static String bearer(String user) {
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader(JWSAlgorithm.HS256),
              new JWTClaimsSet.Builder()
                  .issuer("jindouyun-dev")
                  .subject(user)
                  .expirationTime(Date.from(Instant.now().plusSeconds(600)))
                  .build());
      jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
      return "Bearer " + jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A chat request body: the development model and one user message. */
  static Map<String, Object> conversation(String prompt) {
    return Map.of("model", MODEL, "messages", List.of(Map.of("role", "user", "content", prompt)));
  }
}
