package io.jindouyun.history;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One stored turn: the messages the client sent for one chat and the answer to them.
 *
 * @param streamId the stream that carried the answer; with {@code generation}, the turn's key
 * @param generation the generation of the answer
 * @param conversationId the conversation it belongs to
 * @param userId the owner
 * @param model the model that answered
 * @param prompt the messages the client sent for this turn (not the earlier turns the job carried)
 * @param answer the answer's text (as far as it went, for a partial turn)
 * @param partialReason null for a complete answer; else why it ended early ({@code cancelled},
 *     {@code failed: ...}, {@code expired}, {@code superseded})
 * @param finishReason the LLM's finish reason ({@code stop}, {@code length}, ...), or null
 * @param truncated whether the answer was cut to the bytes-per-turn bound
 * @param usage the token usage, or null when the LLM reported none
 * @param startedAtMs when the consumer started the answer (epoch millis)
 * @param firstTokenMs milliseconds from start to the first token, or null when none came
 * @param endedAtMs when the answer ended (epoch millis)
 * @param delivered whether the client acknowledged the answer
 */
public record Turn(
    String streamId,
    long generation,
    String conversationId,
    String userId,
    String model,
    List<Message> prompt,
    String answer,
    String partialReason,
    String finishReason,
    boolean truncated,
    Usage usage,
    long startedAtMs,
    Long firstTokenMs,
    long endedAtMs,
    boolean delivered) {

  /** Token counts as the LLM reported them. */
  public record Usage(int promptTokens, int completionTokens, int totalTokens) {}

  /** Whether the answer ended early. */
  public boolean partial() {
    return partialReason != null;
  }

  /** UTF-8 bytes of the prompt's contents and the answer. */
  public long bytes() {
    return promptBytes(prompt) + utf8Length(answer);
  }

  /** UTF-8 bytes of the contents of {@code messages}. */
  public static long promptBytes(List<Message> messages) {
    long bytes = 0;
    for (Message m : messages) {
      bytes += utf8Length(m.content());
    }
    return bytes;
  }

  static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
