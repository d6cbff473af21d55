package io.jindouyun.gateway.openai;

import io.jindouyun.gateway.handshake.ChatRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks an OpenAI chat completions body (parsed to plain maps and lists) and turns it into a
 * {@link CompletionRequest}. Every refusal is an {@link OpenAiError} naming the field. Fields
 * OpenAI accepts that only tune sampling or bookkeeping ({@code user}, {@code seed}, {@code top_p},
 * {@code stop}, the penalties, {@code metadata}, {@code store}...) are ignored; fields that would
 * change what comes back and are not supported ({@code n > 1}, tools and functions, logprobs, a
 * non-text response format or modality, audio) are refused.
 */
final class CompletionRequests {

  private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

  private final List<String> models;
  private final int maxMessages;
  private final int maxTokensLimit;
  private final double maxTemperature;

  CompletionRequests(
      List<String> models, int maxMessages, int maxTokensLimit, double maxTemperature) {
    this.models = List.copyOf(models);
    this.maxMessages = maxMessages;
    this.maxTokensLimit = maxTokensLimit;
    this.maxTemperature = maxTemperature;
  }

  /** The checked request. */
  CompletionRequest parse(Object parsed) {
    if (!(parsed instanceof Map<?, ?> body)) {
      throw OpenAiError.invalid(null, "The body must be a JSON object.");
    }
    refuseUnsupported(body);
    Object model = body.get("model");
    if (!(model instanceof String name) || name.isEmpty()) {
      throw OpenAiError.invalid("model", "`model` is required and must be a string.");
    }
    if (!models.contains(name)) {
      throw OpenAiError.unknownModel(name);
    }
    List<ChatRequest.Message> messages = messages(body.get("messages"));
    Integer maxTokens = maxTokens(body);
    Double temperature = null;
    Object t = body.get("temperature");
    if (t != null) {
      if (!(t instanceof Number n)
          || !(n.doubleValue() >= 0 && n.doubleValue() <= maxTemperature)) {
        throw OpenAiError.invalid(
            "temperature", "`temperature` must be a number between 0 and " + maxTemperature + ".");
      }
      temperature = n.doubleValue();
    }
    boolean stream = flag(body.get("stream"), "stream");
    boolean includeUsage = false;
    Object options = body.get("stream_options");
    if (options != null) {
      if (!(options instanceof Map<?, ?> o)) {
        throw OpenAiError.invalid("stream_options", "`stream_options` must be an object.");
      }
      includeUsage = flag(o.get("include_usage"), "stream_options.include_usage");
    }
    return new CompletionRequest(
        new ChatRequest(null, messages, name, maxTokens, temperature), stream, includeUsage);
  }

  private static void refuseUnsupported(Map<?, ?> body) {
    Object n = body.get("n");
    if (n != null && !(n instanceof Number k && k.doubleValue() == 1)) {
      throw OpenAiError.unsupported("n", "Only `n: 1` is supported.");
    }
    for (String field : List.of("tools", "functions")) {
      Object v = body.get(field);
      if (v != null && !(v instanceof List<?> l && l.isEmpty())) {
        throw OpenAiError.unsupported(field, "`" + field + "` are not supported.");
      }
    }
    for (String field : List.of("tool_choice", "function_call")) {
      Object v = body.get(field);
      if (v != null && !"none".equals(v) && !"auto".equals(v)) {
        throw OpenAiError.unsupported(field, "`" + field + "` is not supported.");
      }
    }
    if (Boolean.TRUE.equals(body.get("logprobs"))) {
      throw OpenAiError.unsupported("logprobs", "`logprobs` is not supported.");
    }
    if (body.get("top_logprobs") != null) {
      throw OpenAiError.unsupported("top_logprobs", "`top_logprobs` is not supported.");
    }
    Object format = body.get("response_format");
    if (format != null && !(format instanceof Map<?, ?> f && "text".equals(f.get("type")))) {
      throw OpenAiError.unsupported(
          "response_format", "Only `response_format: {\"type\": \"text\"}` is supported.");
    }
    Object modalities = body.get("modalities");
    if (modalities != null && !(modalities instanceof List<?> m && List.of("text").equals(m))) {
      throw OpenAiError.unsupported("modalities", "Only the `text` modality is supported.");
    }
    if (body.get("audio") != null) {
      throw OpenAiError.unsupported("audio", "`audio` is not supported.");
    }
    if (body.get("prediction") != null) {
      throw OpenAiError.unsupported("prediction", "`prediction` is not supported.");
    }
  }

  private List<ChatRequest.Message> messages(Object value) {
    if (!(value instanceof List<?> list) || list.isEmpty()) {
      throw OpenAiError.invalid("messages", "`messages` must be a non-empty array.");
    }
    if (list.size() > maxMessages) {
      throw OpenAiError.invalid("messages", "At most " + maxMessages + " messages are allowed.");
    }
    List<ChatRequest.Message> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      String at = "messages[" + i + "]";
      if (!(list.get(i) instanceof Map<?, ?> m)) {
        throw OpenAiError.invalid(at, "`" + at + "` must be an object.");
      }
      Object role = m.get("role");
      if ("tool".equals(role) || "function".equals(role)) {
        throw OpenAiError.unsupported(
            at + ".role", "Tool and function messages are not supported.");
      }
      if (!(role instanceof String r) || !ROLES.contains(r)) {
        throw OpenAiError.invalid(
            at + ".role", "`" + at + ".role` must be one of system, developer, user, assistant.");
      }
      if (m.get("tool_calls") != null || m.get("function_call") != null) {
        throw OpenAiError.unsupported(at + ".tool_calls", "Tool calls are not supported.");
      }
      String content = content(m.get("content"), at + ".content");
      out.add(new ChatRequest.Message("developer".equals(r) ? "system" : r, content));
    }
    if (!"user".equals(out.get(out.size() - 1).role())) {
      throw OpenAiError.invalid("messages", "The last message must have role `user`.");
    }
    return out;
  }

  /** A string, or an array of text parts joined; images, audio and files are refused. */
  private static String content(Object value, String param) {
    if (value instanceof String s) {
      return s;
    }
    if (value instanceof List<?> parts) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < parts.size(); i++) {
        if (!(parts.get(i) instanceof Map<?, ?> part)
            || !"text".equals(part.get("type"))
            || !(part.get("text") instanceof String s)) {
          throw OpenAiError.unsupported(
              param + "[" + i + "]", "Only text content parts are supported.");
        }
        text.append(s);
      }
      return text.toString();
    }
    throw OpenAiError.invalid(param, "`" + param + "` must be a string or an array of text parts.");
  }

  private Integer maxTokens(Map<?, ?> body) {
    Integer chosen = null;
    for (String field : List.of("max_tokens", "max_completion_tokens")) {
      Object v = body.get(field);
      if (v == null) {
        continue;
      }
      if (!(v instanceof Integer n) || n < 1 || n > maxTokensLimit) {
        throw OpenAiError.invalid(
            field, "`" + field + "` must be an integer between 1 and " + maxTokensLimit + ".");
      }
      chosen = chosen == null ? n : Math.min(chosen, n);
    }
    return chosen;
  }

  private static boolean flag(Object value, String param) {
    if (value == null) {
      return false;
    }
    if (!(value instanceof Boolean b)) {
      throw OpenAiError.invalid(param, "`" + param + "` must be a boolean.");
    }
    return b;
  }
}
