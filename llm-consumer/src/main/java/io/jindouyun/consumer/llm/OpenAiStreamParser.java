package io.jindouyun.consumer.llm;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Turns the {@code data:} payloads of one chat-completions stream into {@link LlmEvent}s: content
 * deltas as they come, and one {@link LlmEvent.Finish} at the end. The finish reason and the usage
 * arrive in separate chunks ({@code stream_options.include_usage} puts the usage in a chunk without
 * choices just before {@code [DONE]}), so the finish is only built by {@link #finish()} when the
 * stream has ended.
 *
 * <p>Each payload is read as bytes with a streaming JSON parser, taking only {@code error} (an
 * object with a {@code message}, or a value), {@code usage.prompt_tokens}, {@code
 * completion_tokens}, {@code total_tokens}, {@code choices[0].delta.content} and {@code
 * choices[0].finish_reason} and skipping the rest unread into objects: no tree, no text but the
 * delta's. A payload acts only once it has been read whole (a payload that is not one JSON object
 * emits nothing); a repeated property counts by its last occurrence.
 *
 * <p>One instance per stream; not thread-safe (a stream's signals are serial).
 */
final class OpenAiStreamParser {

  static final String DONE = "[DONE]";

  private static final byte[] DONE_BYTES = DONE.getBytes(StandardCharsets.US_ASCII);

  private final TokenStreamFactory json;
  private boolean done;
  private String finishReason;
  private LlmEvent.TokenUsage usage;

  /** What one payload carries; reset for each. */
  private String error;

  private boolean hasUsage;
  private int promptTokens;
  private int completionTokens;
  private int totalTokens;
  private String content;
  private String reason;

  OpenAiStreamParser(JsonMapper mapper) {
    this.json = mapper.tokenStreamFactory();
  }

  /**
   * Reads one event's data, passing a delta (if it carries text) to {@code deltas}.
   *
   * @throws LlmStreamException for an error event
   * @throws LlmProtocolException for data that is not a chat-completions chunk
   */
  void accept(byte[] data, int offset, int length, Consumer<LlmEvent.Delta> deltas) {
    if (done) {
      return;
    }
    int start = offset;
    int end = offset + length;
    while (start < end && isWhitespace(data[start])) {
      start++;
    }
    while (end > start && isWhitespace(data[end - 1])) {
      end--;
    }
    if (start == end) {
      return;
    }
    if (isDone(data, start, end)) {
      done = true;
      return;
    }
    read(data, offset, length);
    if (error != null) {
      throw new LlmStreamException("LLM stream failed: " + abbreviate(error));
    }
    if (hasUsage) {
      usage = new LlmEvent.TokenUsage(promptTokens, completionTokens, totalTokens);
    }
    if (content != null && !content.isEmpty()) {
      deltas.accept(new LlmEvent.Delta(content));
    }
    if (reason != null && !reason.isEmpty()) {
      finishReason = reason;
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

  private void read(byte[] data, int offset, int length) {
    error = null;
    hasUsage = false;
    content = null;
    reason = null;
    try (JsonParser parser = json.createParser(ObjectReadContext.empty(), data, offset, length)) {
      if (parser.nextToken() != JsonToken.START_OBJECT) {
        throw new LlmProtocolException("LLM sent data that is not a JSON object", null);
      }
      while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
        String name = parser.currentName();
        JsonToken value = parser.nextToken();
        switch (name) {
          case "error" -> error = readError(parser, value);
          case "usage" -> readUsage(parser, value);
          case "choices" -> readChoices(parser, value);
          default -> parser.skipChildren();
        }
      }
      if (parser.nextToken() != null) {
        throw new LlmProtocolException("LLM sent data with more than one JSON value", null);
      }
    } catch (JacksonException e) {
      throw new LlmProtocolException(
          "LLM sent data that is not JSON: "
              + abbreviate(new String(data, offset, length, StandardCharsets.UTF_8)),
          e);
    }
  }

  /** The error's message ("" when it has none), or null for {@code "error": null}. */
  private static String readError(JsonParser parser, JsonToken value) {
    if (value == JsonToken.VALUE_NULL) {
      return null;
    }
    if (value != JsonToken.START_OBJECT) {
      return scalarText(parser, value);
    }
    String message = "";
    while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
      String name = parser.currentName();
      JsonToken token = parser.nextToken();
      if (name.equals("message")) {
        message = scalarText(parser, token);
      } else {
        parser.skipChildren();
      }
    }
    return message;
  }

  private void readUsage(JsonParser parser, JsonToken value) {
    hasUsage = value == JsonToken.START_OBJECT;
    if (!hasUsage) {
      parser.skipChildren();
      return;
    }
    promptTokens = 0;
    completionTokens = 0;
    totalTokens = 0;
    while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
      String name = parser.currentName();
      JsonToken token = parser.nextToken();
      switch (name) {
        case "prompt_tokens" -> promptTokens = intValue(parser, token);
        case "completion_tokens" -> completionTokens = intValue(parser, token);
        case "total_tokens" -> totalTokens = intValue(parser, token);
        default -> parser.skipChildren();
      }
    }
  }

  /** Reads {@code choices[0]}'s delta content and finish reason; skips the other choices. */
  private void readChoices(JsonParser parser, JsonToken value) {
    content = null;
    reason = null;
    if (value != JsonToken.START_ARRAY) {
      parser.skipChildren();
      return;
    }
    JsonToken first = parser.nextToken();
    if (first == JsonToken.END_ARRAY) {
      return;
    }
    if (first == JsonToken.START_OBJECT) {
      readChoice(parser);
    } else {
      parser.skipChildren();
    }
    while (parser.nextToken() != JsonToken.END_ARRAY) {
      parser.skipChildren();
    }
  }

  private void readChoice(JsonParser parser) {
    while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
      String name = parser.currentName();
      JsonToken token = parser.nextToken();
      switch (name) {
        case "delta" -> readDelta(parser, token);
        case "finish_reason" -> reason = stringOrNull(parser, token);
        default -> parser.skipChildren();
      }
    }
  }

  private void readDelta(JsonParser parser, JsonToken value) {
    content = null;
    if (value != JsonToken.START_OBJECT) {
      parser.skipChildren();
      return;
    }
    while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
      String name = parser.currentName();
      JsonToken token = parser.nextToken();
      if (name.equals("content")) {
        content = stringOrNull(parser, token);
      } else {
        parser.skipChildren();
      }
    }
  }

  private static String stringOrNull(JsonParser parser, JsonToken token) {
    if (token == JsonToken.VALUE_STRING) {
      return parser.getString();
    }
    parser.skipChildren();
    return null;
  }

  /** A scalar's text (a number's digits, {@code true}), "" for null, an array or an object. */
  private static String scalarText(JsonParser parser, JsonToken token) {
    if (token.isScalarValue() && token != JsonToken.VALUE_NULL) {
      return parser.getString();
    }
    parser.skipChildren();
    return "";
  }

  /** An int, a float truncated or a string of digits; 0 for anything else or out of range. */
  private static int intValue(JsonParser parser, JsonToken token) {
    switch (token) {
      case VALUE_NUMBER_INT -> {
        return parser.getNumberType() == JsonParser.NumberType.INT ? parser.getIntValue() : 0;
      }
      case VALUE_NUMBER_FLOAT -> {
        double value = parser.getDoubleValue();
        return value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE ? (int) value : 0;
      }
      case VALUE_STRING -> {
        try {
          return Integer.parseInt(parser.getString().strip());
        } catch (NumberFormatException e) {
          return 0;
        }
      }
      default -> {
        parser.skipChildren();
        return 0;
      }
    }
  }

  private static boolean isDone(byte[] data, int start, int end) {
    if (end - start != DONE_BYTES.length) {
      return false;
    }
    for (int i = 0; i < DONE_BYTES.length; i++) {
      if (data[start + i] != DONE_BYTES[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean isWhitespace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == 0x0B;
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "…";
  }
}
