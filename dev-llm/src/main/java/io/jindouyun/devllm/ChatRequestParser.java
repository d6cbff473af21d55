package io.jindouyun.devllm;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Parses and validates a chat-completions body. Thread-safe. */
final class ChatRequestParser {

  private final JsonMapper mapper;

  ChatRequestParser(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Parses {@code body}.
   *
   * @throws BadRequestException for malformed JSON or a missing or invalid field
   */
  ChatRequest parse(String body) {
    JsonNode root;
    try {
      root = mapper.readTree(body);
    } catch (JacksonException e) {
      throw new BadRequestException(
          "We could not parse the JSON body of your request: " + e.getOriginalMessage(), null);
    }
    if (root == null || !root.isObject()) {
      throw new BadRequestException("The request body must be a JSON object.", null);
    }
    String model = ChatRequest.DEFAULT_MODEL;
    JsonNode modelNode = root.path("model");
    if (modelNode.isString() && !modelNode.stringValue().isBlank()) {
      model = modelNode.stringValue();
    } else if (!modelNode.isMissingNode() && !modelNode.isNull()) {
      throw new BadRequestException("'model' must be a non-empty string.", "model");
    }
    List<ChatRequest.Message> messages = messages(root.path("messages"));
    boolean stream = flag(root.path("stream"), "stream");
    boolean includeUsage =
        flag(root.path("stream_options").path("include_usage"), "stream_options");
    int maxTokens = maxTokens(root.path("max_completion_tokens"), "max_completion_tokens");
    if (maxTokens < 0) {
      maxTokens = maxTokens(root.path("max_tokens"), "max_tokens");
    }
    return new ChatRequest(model, messages, stream, includeUsage, maxTokens);
  }

  private static List<ChatRequest.Message> messages(JsonNode node) {
    if (!node.isArray() || node.isEmpty()) {
      throw new BadRequestException("'messages' must be a non-empty array.", "messages");
    }
    List<ChatRequest.Message> messages = new ArrayList<>(node.size());
    for (int i = 0; i < node.size(); i++) {
      JsonNode message = node.get(i);
      JsonNode role = message.path("role");
      if (!message.isObject() || !role.isString() || role.stringValue().isBlank()) {
        throw new BadRequestException(
            "messages[" + i + "] must be an object with a string 'role'.", "messages");
      }
      messages.add(
          new ChatRequest.Message(role.stringValue(), content(message.path("content"), i)));
    }
    return messages;
  }

  private static String content(JsonNode content, int index) {
    if (content.isString()) {
      return content.stringValue();
    }
    if (content.isMissingNode() || content.isNull()) {
      return "";
    }
    if (content.isArray()) {
      StringBuilder text = new StringBuilder();
      for (JsonNode part : content) {
        JsonNode partText = part.path("text");
        if (partText.isString()) {
          text.append(partText.stringValue());
        }
      }
      return text.toString();
    }
    throw new BadRequestException(
        "messages[" + index + "].content must be a string or an array of parts.", "messages");
  }

  private static boolean flag(JsonNode node, String param) {
    if (node.isMissingNode() || node.isNull()) {
      return false;
    }
    if (!node.isBoolean()) {
      throw new BadRequestException("'" + param + "' must be a boolean.", param);
    }
    return node.booleanValue();
  }

  private static int maxTokens(JsonNode node, String param) {
    if (node.isMissingNode() || node.isNull()) {
      return -1;
    }
    if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 1) {
      throw new BadRequestException("'" + param + "' must be a positive integer.", param);
    }
    return node.intValue();
  }
}
