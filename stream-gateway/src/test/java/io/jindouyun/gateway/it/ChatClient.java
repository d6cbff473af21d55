package io.jindouyun.gateway.it;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/**
 * The browser's side of the chat API against a gateway under test: handshake, SSE stream, ack and
 * cancel, each asserting the status the happy path answers. Users are authenticated with {@link
 * TestTokens#user}.
 */
final class ChatClient {

  /** How long a reader waits for the events it expects. */
  static final Duration WAIT = Duration.ofSeconds(15);

  /** The events after which the gateway sends nothing more on a stream. */
  private static final List<String> TERMINAL = List.of("done", "error", "superseded");

  /** The type of a server-sent event whose data is read as text. */
  static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
      new ParameterizedTypeReference<>() {};

  /** A handshake's answer (202): the stream to read and the whole JSON body. */
  record Handshake(String streamId, long generation, Map<String, Object> body) {}

  private final WebTestClient client;

  ChatClient(WebTestClient client) {
    this.client = client;
  }

  static String bearer(String user) {
    return "Bearer " + TestTokens.user(user);
  }

  /** A chat request: a short system message, then {@code prompt} from the user. */
  static String body(String prompt) {
    return "{\"messages\":[{\"role\":\"system\",\"content\":\"be brief\"},"
        + "{\"role\":\"user\",\"content\":\""
        + prompt
        + "\"}]}";
  }

  /** Opens a chat for {@code user} with {@link #body(String) body(prompt)}; asserts 202. */
  Handshake handshake(String user, String prompt) {
    @SuppressWarnings("unchecked")
    Map<String, Object> body =
        postHandshake(bearer(user), body(prompt))
            .expectStatus()
            .isAccepted()
            .expectBody(Map.class)
            .returnResult()
            .getResponseBody();
    return new Handshake(
        (String) body.get("streamId"), ((Number) body.get("generation")).longValue(), body);
  }

  /**
   * {@code POST /v1/chat/handshake} with {@code json} and the Authorization header {@code
   * authorization} (none when null), unchecked.
   */
  WebTestClient.ResponseSpec postHandshake(String authorization, String json) {
    return client
        .post()
        .uri("/v1/chat/handshake")
        .headers(
            h -> {
              if (authorization != null) {
                h.set(HttpHeaders.AUTHORIZATION, authorization);
              }
            })
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json)
        .exchange();
  }

  /** Reads {@code streamId} as {@code user} from the start; asserts 200. */
  Flux<ServerSentEvent<String>> stream(String user, String streamId) {
    return stream(user, streamId, null);
  }

  /** Reads {@code streamId} as {@code user} after {@code lastEventId} (null: from the start). */
  Flux<ServerSentEvent<String>> stream(String user, String streamId, String lastEventId) {
    return events(
        client
            .get()
            .uri("/v1/chat/stream/{id}", streamId)
            .header(HttpHeaders.AUTHORIZATION, bearer(user))
            .headers(
                h -> {
                  if (lastEventId != null) {
                    h.set("Last-Event-ID", lastEventId);
                  }
                }));
  }

  /** Sends {@code request} for an event stream; asserts 200 and returns the events. */
  static Flux<ServerSentEvent<String>> events(WebTestClient.RequestHeadersSpec<?> request) {
    return request
        .accept(MediaType.TEXT_EVENT_STREAM)
        .exchange()
        .expectStatus()
        .isOk()
        .returnResult(SSE)
        .getResponseBody();
  }

  /** {@code GET /v1/chat/stream/{streamId}} as {@code user}, unchecked. */
  WebTestClient.ResponseSpec get(String user, String streamId) {
    return client
        .get()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .exchange();
  }

  /** Acknowledges {@code streamId} as {@code user} without a position; asserts 204. */
  void ack(String user, String streamId) {
    postAck(user, streamId, "{}").expectStatus().isNoContent();
  }

  /** Posts an ack of {@code streamId} as {@code user} with {@code json} as the body. */
  WebTestClient.ResponseSpec postAck(String user, String streamId, String json) {
    return client
        .post()
        .uri("/v1/chat/ack/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .contentType(MediaType.APPLICATION_JSON)
        .bodyValue(json)
        .exchange();
  }

  /** Cancels {@code streamId} as {@code user}; asserts 202. */
  void cancel(String user, String streamId) {
    client
        .delete()
        .uri("/v1/chat/stream/{id}", streamId)
        .header(HttpHeaders.AUTHORIZATION, bearer(user))
        .exchange()
        .expectStatus()
        .isAccepted();
  }

  /** Asserts that {@code response} is an RFC 9457 problem of type {@code kind}. */
  static void assertProblem(WebTestClient.ResponseSpec response, String kind) {
    response
        .expectHeader()
        .contentType(MediaType.APPLICATION_PROBLEM_JSON)
        .expectBody()
        .jsonPath("$.type")
        .isEqualTo("https://jindouyun.io/problems/" + kind);
  }

  /** The named events of {@code events} up to and including the first terminal one (bounded). */
  static List<ServerSentEvent<String>> untilTerminal(Flux<ServerSentEvent<String>> events) {
    return events
        .filter(e -> e.event() != null)
        .takeUntil(e -> TERMINAL.contains(e.event()))
        .collectList()
        .block(WAIT);
  }

  /** The text of the {@code chunk} events of {@code events}, joined. */
  static String textOf(List<ServerSentEvent<String>> events) {
    return events.stream()
        .filter(e -> "chunk".equals(e.event()))
        .map(e -> JsonMapper.shared().readTree(e.data()).get("delta").asString())
        .collect(Collectors.joining());
  }
}
