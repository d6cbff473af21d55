package io.jindouyun.consumer;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.devllm.DevLlmServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * The development LLM's answers asked straight, for tests that compare a stream's text with them.
 */
public final class DevLlmAnswers {

  private DevLlmAnswers() {}

  /** What {@code llm} answers {@code prompt} without streaming (the text a stream must carry). */
  public static String of(DevLlmServer llm, String prompt) throws Exception {
    String body =
        JsonMapper.builder()
            .build()
            .writeValueAsString(
                Map.of(
                    "model",
                    "jdy-dev-1",
                    "messages",
                    List.of(Map.of("role", "user", "content", prompt))));
    HttpResponse<String> response =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(llm.baseUrl() + "/v1/chat/completions"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    return JsonMapper.builder()
        .build()
        .readTree(response.body())
        .path("choices")
        .path(0)
        .path("message")
        .path("content")
        .asString();
  }
}
