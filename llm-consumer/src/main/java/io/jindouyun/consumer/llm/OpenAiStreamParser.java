package io.jindouyun.consumer.llm;

import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns the {@code data:} payloads of one chat-completions stream into {@link LlmEvent}s: content
 * deltas as they come, and one {@link LlmEvent.Finish} at the end. The finish reason and the usage
 * arrive in separate chunks ({@code stream_options.include_usage} puts the usage in a chunk without
 * choices just before {@code [DONE]}), so the finish is only built by {@link #finish()} when the
 * stream has ended.
 *
 * <p>One instance per stream; not thread-safe (a stream's signals are serial).
 */
final class OpenAiStreamParser {

  static final String DONE = "[DONE]";

  private final JsonMapper mapper;
  private boolean done;
  private String finishReason;
  private LlmEvent.TokenUsage usage;

  OpenAiStreamParser(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Reads one event's data, passing a delta (if it carries text) to {@code deltas}.
   *
   * @throws LlmStreamException for an error event
   * @throws LlmProtocolException for data that is not a chat-completions chunk
   */
  void accept(String data, Consumer<LlmEvent.Delta> deltas) {
    if (done || data == null || data.isBlank()) {
      return;
    }
    if (DONE.equals(data.strip())) {
      done = true;
      return;
    }
    JsonNode root;
    try {
      root = mapper.readTree(data);
    } catch (JacksonException e) {
      throw new LlmProtocolException("LLM sent data that is not JSON: " + abbreviate(data), e);
    }
    if (!root.isObject()) {
      throw new LlmProtocolException("LLM sent data that is not a JSON object", null);
    }
    JsonNode error = root.path("error");
    if (!error.isMissingNode() && !error.isNull()) {
      String message = error.isObject() ? error.path("message").asString("") : error.asString("");
      throw new LlmStreamException("LLM stream failed: " + abbreviate(message));
    }
    JsonNode usageNode = root.path("usage");
    if (usageNode.isObject()) {
      usage =
          new LlmEvent.TokenUsage(
              usageNode.path("prompt_tokens").asInt(0),
              usageNode.path("completion_tokens").asInt(0),
              usageNode.path("total_tokens").asInt(0));
    }
    JsonNode choice = root.path("choices").path(0);
    if (choice.isMissingNode()) {
      return;
    }
    JsonNode content = choice.path("delta").path("content");
    if (content.isString() && !content.stringValue().isEmpty()) {
      deltas.accept(new LlmEvent.Delta(content.stringValue()));
    }
    JsonNode reason = choice.path("finish_reason");
    if (reason.isString() && !reason.stringValue().isEmpty()) {
      finishReason = reason.stringValue();
    }
  }

  /**
   * The finish event once the body ended.
   *
   * @throws LlmStreamException when the stream ended without {@code [DONE]} or a finish reason
   */
  LlmEvent.Finish finish() {
    if (!done && finishReason == null) {
      throw new LlmStreamException("LLM stream ended before [DONE]");
    }
    return new LlmEvent.Finish(finishReason == null ? "stop" : finishReason, usage);
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }
}
