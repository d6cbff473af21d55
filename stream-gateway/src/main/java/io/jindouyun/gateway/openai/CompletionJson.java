package io.jindouyun.gateway.openai;

import io.jindouyun.gateway.stream.TokenUsage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON objects of OpenAI's chat completions API for one answer: {@code chat.completion.chunk}
 * events and the one {@code chat.completion}, as maps in OpenAI's field order. Immutable.
 *
 * @param id the completion id ({@code chatcmpl-<streamId>})
 * @param created seconds since the epoch when the request was taken
 * @param model the model that answers
 */
record CompletionJson(String id, long created, String model) {

  /** The models list of {@code GET /v1/models}. */
  static Map<String, Object> models(List<String> names) {
    List<Map<String, Object>> data = new ArrayList<>(names.size());
    for (String name : names) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", name);
      m.put("object", "model");
      m.put("created", 0);
      m.put("owned_by", "jindouyun");
      data.add(m);
    }
    Map<String, Object> list = new LinkedHashMap<>();
    list.put("object", "list");
    list.put("data", data);
    return list;
  }

  /** The first chunk: the assistant's role and empty content. */
  Map<String, Object> roleChunk(boolean includeUsage) {
    Map<String, Object> delta = new LinkedHashMap<>();
    delta.put("role", "assistant");
    delta.put("content", "");
    return chunk(delta, null, includeUsage);
  }

  /** A chunk carrying {@code text}. */
  Map<String, Object> textChunk(String text, boolean includeUsage) {
    return chunk(Map.of("content", text), null, includeUsage);
  }

  /** The last choice chunk: an empty delta and the finish reason. */
  Map<String, Object> finishChunk(String finishReason, boolean includeUsage) {
    return chunk(Map.of(), finishReason, includeUsage);
  }

  /** The usage chunk sent last when {@code include_usage} was asked for: no choices. */
  Map<String, Object> usageChunk(TokenUsage usage) {
    Map<String, Object> m = head("chat.completion.chunk");
    m.put("choices", List.of());
    m.put("usage", usage(usage));
    return m;
  }

  /** The whole answer of a non-streaming request. */
  Map<String, Object> completion(String text, String finishReason, TokenUsage usage) {
    Map<String, Object> message = new LinkedHashMap<>();
    message.put("role", "assistant");
    message.put("content", text);
    message.put("refusal", null);
    Map<String, Object> choice = new LinkedHashMap<>();
    choice.put("index", 0);
    choice.put("message", message);
    choice.put("logprobs", null);
    choice.put("finish_reason", finishReason);
    Map<String, Object> m = head("chat.completion");
    m.put("choices", List.of(choice));
    m.put("usage", usage(usage));
    return m;
  }

  private Map<String, Object> chunk(
      Map<String, Object> delta, String finishReason, boolean includeUsage) {
    Map<String, Object> choice = new LinkedHashMap<>();
    choice.put("index", 0);
    choice.put("delta", delta);
    choice.put("logprobs", null);
    choice.put("finish_reason", finishReason);
    Map<String, Object> m = head("chat.completion.chunk");
    m.put("choices", List.of(choice));
    if (includeUsage) {
      m.put("usage", null);
    }
    return m;
  }

  private Map<String, Object> head(String object) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", id);
    m.put("object", object);
    m.put("created", created);
    m.put("model", model);
    m.put("system_fingerprint", null);
    return m;
  }

  /** OpenAI's usage object; zeros when the LLM reported none. */
  static Map<String, Object> usage(TokenUsage usage) {
    TokenUsage u = usage == null ? new TokenUsage(0, 0, 0) : usage;
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("prompt_tokens", u.promptTokens());
    m.put("completion_tokens", u.completionTokens());
    m.put("total_tokens", u.totalTokens());
    return m;
  }

  /** OpenAI's finish reason for the stream's ({@code stop}, {@code length} pass through). */
  static String finishReason(String reason) {
    if (reason == null || reason.isEmpty()) {
      return "stop";
    }
    return reason;
  }
}
