package io.jindouyun.devllm;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

  /**
   * Posts {@code body} over a plain socket and reads until the server closes the connection,
   * decoding the chunked body by hand: unlike {@link HttpClient}, which may drop data it buffered
   * when a connection is aborted, this sees every byte the server sent. {@link Stream#failure()} is
   * set when the body ended without its terminating chunk.
   */
  static Stream rawStream(int port, String body, Map<String, String> headers) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    StringBuilder head =
        new StringBuilder("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .append("Content-Type: application/json\r\nConnection: close\r\n")
            .append("Content-Length: ")
            .append(bytes.length)
            .append("\r\n");
    headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("\r\n");
    byte[] received;
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      received = socket.getInputStream().readAllBytes();
    }
    String raw = new String(received, StandardCharsets.ISO_8859_1);
    int headerEnd = raw.indexOf("\r\n\r\n");
    int status = Integer.parseInt(raw.substring(9, 12));
    String contentType =
        raw.substring(0, headerEnd)
            .lines()
            .filter(line -> line.toLowerCase(Locale.ROOT).startsWith("content-type:"))
            .map(line -> line.substring("content-type:".length()).strip())
            .findFirst()
            .orElse("");
    ByteArrayOutputStream decoded = new ByteArrayOutputStream();
    int at = headerEnd + 4;
    boolean terminated = false;
    while (true) {
      int lineEnd = raw.indexOf("\r\n", at);
      if (lineEnd < 0) {
        break;
      }
      int size = Integer.parseInt(raw.substring(at, lineEnd).strip(), 16);
      if (size == 0) {
        terminated = true;
        break;
      }
      if (lineEnd + 2 + size > received.length) {
        break;
      }
      decoded.write(received, lineEnd + 2, size);
      at = lineEnd + 2 + size + 2;
    }
    List<JsonNode> events = new ArrayList<>();
    boolean done = false;
    for (String line : decoded.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith("data:")) {
        String data = line.substring("data:".length()).strip();
        if (data.equals("[DONE]")) {
          done = true;
        } else {
          events.add(MAPPER.readTree(data));
        }
      }
    }
    IOException failure =
        terminated ? null : new IOException("connection closed before the last chunk");
    return new Stream(status, contentType, events, done, failure);
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
