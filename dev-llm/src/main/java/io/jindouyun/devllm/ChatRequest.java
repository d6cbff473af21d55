package io.jindouyun.devllm;

import java.util.List;

/**
 * The parts of an OpenAI chat-completions request the development LLM reads.
 *
 * @param model requested model, echoed back
 * @param messages the conversation, at least one message
 * @param stream answer as {@code text/event-stream} chunks
 * @param includeUsage {@code stream_options.include_usage}: send a usage chunk before [DONE]
 * @param maxTokens {@code max_completion_tokens} or {@code max_tokens}, -1 when absent
 */
record ChatRequest(
    String model, List<Message> messages, boolean stream, boolean includeUsage, int maxTokens) {

  /** Model used when a request names none. */
  static final String DEFAULT_MODEL = "jdy-dev-1";

  ChatRequest {
    messages = List.copyOf(messages);
  }

  /** One chat message; content parts of type text are joined into {@code content}. */
  record Message(String role, String content) {}

  /** The content of the last message whose role is {@code user}, or "" when there is none. */
  String lastUserContent() {
    for (int i = messages.size() - 1; i >= 0; i--) {
      if ("user".equals(messages.get(i).role())) {
        return messages.get(i).content();
      }
    }
    return "";
  }

  /** Whitespace-separated words of all messages, at least 1: the prompt token count. */
  int promptTokens() {
    int words = 0;
    for (Message message : messages) {
      String text = message.content().strip();
      if (!text.isEmpty()) {
        words += text.split("\\s+").length;
      }
    }
    return Math.max(1, words);
  }
}
