package io.jindouyun.consumer.llm;

import java.util.List;
import java.util.Objects;

/**
 * One chat-completions request.
 *
 * @param model the model, never blank
 * @param messages the conversation, at least one message
 * @param maxTokens the answer's token bound, or null for the LLM's default
 * @param temperature the sampling temperature, or null for the LLM's default
 */
public record LlmRequest(
    String model, List<Message> messages, Integer maxTokens, Double temperature) {

  public LlmRequest {
    Objects.requireNonNull(model, "model");
    messages = List.copyOf(messages);
    if (messages.isEmpty()) {
      throw new IllegalArgumentException("at least one message is needed");
    }
  }

  /** One message of the conversation. */
  public record Message(String role, String content) {

    public Message {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(content, "content");
    }
  }
}
