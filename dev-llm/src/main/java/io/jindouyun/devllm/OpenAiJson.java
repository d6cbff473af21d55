package io.jindouyun.devllm;

import java.util.List;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Writes the OpenAI chat-completions JSON shapes. Thread-safe. */
final class OpenAiJson {

  /** Stands for the content in a chunk rendered once; the last occurrence is the content. */
  private static final String SENTINEL = "jdy-content-sentinel";

  private final JsonMapper mapper;

  OpenAiJson(JsonMapper mapper) {
    this.mapper = mapper;
  }

  /** Usage counts of one answer. */
  record Usage(int promptTokens, int completionTokens) {}

  /** Identity shared by every chunk of one answer. */
  record Head(String id, long created, String model) {}

  /** A {@code chat.completion.chunk} whose delta carries {@code role: assistant}. */
  String roleChunk(Head head, boolean usageField) {
    ObjectNode chunk = chunk(head, usageField);
    ObjectNode choice = choice(chunk, null);
    choice.putObject("delta").put("role", "assistant");
    return write(chunk);
  }

  /** A {@code chat.completion.chunk} whose delta carries {@code content}. */
  String contentChunk(Head head, String content, boolean usageField) {
    ObjectNode chunk = chunk(head, usageField);
    choice(chunk, null).putObject("delta").put("content", content);
    return write(chunk);
  }

  /**
   * The content chunks of one answer, rendered from a prefix and suffix written once by Jackson:
   * per token only the content is escaped. Gives the same text as {@link #contentChunk}.
   */
  ContentChunks contentChunks(Head head, boolean usageField) {
    String sample = contentChunk(head, SENTINEL, usageField);
    int at = sample.lastIndexOf('"' + SENTINEL + '"');
    return new ContentChunks(sample.substring(0, at), sample.substring(at + SENTINEL.length() + 2));
  }

  /** See {@link #contentChunks}. Immutable. */
  record ContentChunks(String prefix, String suffix) {

    /** The chunk whose delta carries {@code content}. */
    String chunk(String content) {
      StringBuilder json =
          new StringBuilder(prefix.length() + content.length() + suffix.length() + 8);
      json.append(prefix).append('"');
      JsonStringEncoder.getInstance().quoteAsString(content, json);
      return json.append('"').append(suffix).toString();
    }
  }

  /** The last choice chunk: an empty delta and the finish reason. */
  String finishChunk(Head head, String finishReason, boolean usageField) {
    ObjectNode chunk = chunk(head, usageField);
    choice(chunk, finishReason).putObject("delta");
    return write(chunk);
  }

  /** The {@code include_usage} chunk: no choices, the usage of the whole answer. */
  String usageChunk(Head head, Usage usage) {
    ObjectNode chunk = chunk(head, false);
    chunk.putArray("choices");
    usage(chunk, usage);
    return write(chunk);
  }

  /** A complete {@code chat.completion}. */
  String completion(Head head, String content, String finishReason, Usage usage) {
    ObjectNode completion = mapper.createObjectNode();
    completion.put("id", head.id()).put("object", "chat.completion");
    completion.put("created", head.created()).put("model", head.model());
    ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
    choice.putObject("message").put("role", "assistant").put("content", content);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    usage(completion, usage);
    return write(completion);
  }

  /** The OpenAI error shape {@code {"error":{"message","type","param","code"}}}. */
  String error(String message, String type, String param, String code) {
    ObjectNode root = mapper.createObjectNode();
    ObjectNode error = root.putObject("error").put("message", message).put("type", type);
    error.put("param", param).put("code", code);
    return write(root);
  }

  /** The error a mid-stream failure sends (as an SSE event, or as the body of a 500). */
  String midStreamError() {
    return error(
        "The model stopped with an error (injected by the development LLM).",
        "server_error",
        null,
        "injected_error_mid");
  }

  /** The {@code /v1/models} list. */
  String models(List<String> ids, long created) {
    ObjectNode root = mapper.createObjectNode().put("object", "list");
    ArrayNode data = root.putArray("data");
    for (String id : ids) {
      data.addObject()
          .put("id", id)
          .put("object", "model")
          .put("created", created)
          .put("owned_by", "jindouyun");
    }
    return write(root);
  }

  private ObjectNode chunk(Head head, boolean usageField) {
    ObjectNode chunk = mapper.createObjectNode();
    chunk.put("id", head.id()).put("object", "chat.completion.chunk");
    chunk.put("created", head.created()).put("model", head.model());
    if (usageField) {
      chunk.putNull("usage");
    }
    return chunk;
  }

  private static ObjectNode choice(ObjectNode chunk, String finishReason) {
    ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason);
    return choice;
  }

  private static void usage(ObjectNode root, Usage usage) {
    root.putObject("usage")
        .put("prompt_tokens", usage.promptTokens())
        .put("completion_tokens", usage.completionTokens())
        .put("total_tokens", usage.promptTokens() + usage.completionTokens());
  }

  private String write(ObjectNode node) {
    return mapper.writeValueAsString(node);
  }
}
