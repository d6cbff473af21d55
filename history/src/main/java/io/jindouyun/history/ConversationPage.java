package io.jindouyun.history;

import java.util.List;

/**
 * One page of a user's conversations, newest first.
 *
 * @param conversations at most the page size
 * @param nextCursor where the next page starts, or null on the last page
 */
public record ConversationPage(List<ConversationSummary> conversations, String nextCursor) {}
