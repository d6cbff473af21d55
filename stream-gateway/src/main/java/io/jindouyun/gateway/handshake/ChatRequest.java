package io.jindouyun.gateway.handshake;

import java.util.List;

/**
 * The handshake body.
 *
 * @param conversationId optional id of the conversation, passed on to the job
 * @param messages the conversation so far; the last one is the user's
 * @param model optional model name from the allow-list
 * @param maxTokens optional bound on the answer's tokens
 * @param temperature optional sampling temperature
 */
public record ChatRequest(
    String conversationId,
    List<Message> messages,
    String model,
    Integer maxTokens,
    Double temperature) {

  /** One message: role {@code system}, {@code user} or {@code assistant}, and its text. */
  public record Message(String role, String content) {}
}
