package io.jindouyun.history;

/**
 * One conversation as listed.
 *
 * @param id the conversation id
 * @param title the start of its first user message
 * @param createdAt when its first turn was stored (epoch millis)
 * @param updatedAt when its last turn was stored (epoch millis)
 * @param turns how many turns it holds
 */
public record ConversationSummary(
    String id, String title, long createdAt, long updatedAt, int turns) {}
