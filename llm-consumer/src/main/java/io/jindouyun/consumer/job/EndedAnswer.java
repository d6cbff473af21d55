package io.jindouyun.consumer.job;

/**
 * An answer as it ended, for the history.
 *
 * @param text the text of the last attempt, at most {@link TurnRecorder#maxAnswerChars()}
 * @param truncated whether text was dropped past that bound
 * @param partialReason null when the answer is complete; else why it ended early
 * @param finishReason the LLM's finish reason, or null
 * @param promptTokens token usage as the LLM reported it, or null when none
 * @param completionTokens as above
 * @param totalTokens as above
 * @param startedAtMs when the run started (epoch millis)
 * @param firstTokenMs milliseconds from the start to the first token, or null when none came
 * @param endedAtMs when it ended (epoch millis)
 */
public record EndedAnswer(
    String text,
    boolean truncated,
    String partialReason,
    String finishReason,
    Integer promptTokens,
    Integer completionTokens,
    Integer totalTokens,
    long startedAtMs,
    Long firstTokenMs,
    long endedAtMs) {}
