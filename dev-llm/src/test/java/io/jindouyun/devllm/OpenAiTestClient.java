package io.jindouyun.devllm;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A real HTTP client that reads answers the way an OpenAI client does. */
final class OpenAiTestClient {

  static final JsonMapper MAPPER = JsonMapper.builder().build();
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final String baseUrl;

  OpenAiTestClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  /**
   * A parsed SSE answer.
   *
   * @param status HTTP status
   * @param contentType the Content-Type header
   * @param events JSON payloads of the {@code data:} lines, [DONE] excluded
   * @param done whether {@code data: [DONE]} arrived
   * @param failure the I/O error that ended the stream early, or null
   */
  record Stream(
      int status, String contentType, List<JsonNode> events, boolean done, IOException failure) {

    /** The concatenated {@code delta.content} of every chunk. */
    String text() {
      StringBuilder text = new StringBuilder();
      for (JsonNode event : events) {
        JsonNode delta = event.path("choices").path(0).path("delta").path("content");
        if (delta.isString()) {
          text.append(delta.stringValue());
        }
      }
      return text.toString();
    }

    /** Chunks with a content delta. */
    long contentChunks() {
      return events.stream()
          .filter(e -> e.path("choices").path(0).path("delta").path("content").isString())
          .count();
    }

    /** The non-null finish_reason, or null. */
    String finishReason() {
      for (JsonNode event : events) {
        JsonNode reason = event.path("choices").path(0).path("finish_reason");
        if (reason.isString()) {
          return reason.stringValue();
        }
      }
      return null;
    }
  }

  static String body(boolean stream, String userContent) {
    return body(stream, userContent, "");
  }

  static String body(boolean stream, String userContent, String extraFields) {
    var root = MAPPER.createObjectNode().put("model", "jdy-dev-1").put("stream", stream);
    var messages = root.putArray("messages");
    messages.addObject().put("role", "system").put("content", "You are terse.");
    messages.addObject().put("role", "user").put("content", userContent);
    String json = MAPPER.writeValueAsString(root);
    return extraFields.isEmpty()
        ? json
        : json.substring(0, json.length() - 1) + "," + extraFields + "}";
  }

  HttpResponse<String> post(String body, Map<String, String> headers) throws Exception {
    return http.send(request(body, headers), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<InputStream> open(String body, Map<String, String> headers) throws Exception {
    return http.send(request(body, headers), HttpResponse.BodyHandlers.ofInputStream());
  }

  Stream stream(String body, Map<String, String> headers) throws Exception {
    HttpResponse<InputStream> response = open(body, headers);
    String contentType = response.headers().firstValue("content-type").orElse("");
    List<JsonNode> events = new ArrayList<>();
    boolean done = false;
    IOException failure = null;
    try (BufferedReader reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        if (!line.startsWith("data:")) {
          continue;
        }
        String data = line.substring("data:".length()).strip();
        if (data.equals("[DONE]")) {
          done = true;
        } else {
          events.add(MAPPER.readTree(data));
        }
      }
    } catch (IOException e) {
      failure = e;
    }
    return new Stream(response.statusCode(), contentType, events, done, failure);
  }

  private HttpRequest request(String body, Map<String, String> headers) {
    HttpRequest.Builder builder =
        HttpRequest.newBuilder(URI.create(baseUrl + "/v1/chat/completions"))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(builder::header);
    return builder.build();
  }
}
