package io.jindouyun.gateway.history;

import io.jindouyun.history.ConversationPage;
import io.jindouyun.history.ConversationSummary;
import io.jindouyun.history.Message;
import io.jindouyun.history.Turn;
import java.time.Instant;
import java.util.List;

/** The JSON shapes of the history API. */
final class ConversationViews {

  private ConversationViews() {}

  /** {@code GET /v1/conversations}. */
  record Page(List<Summary> conversations, String nextCursor) {
    static Page of(ConversationPage page) {
      return new Page(page.conversations().stream().map(Summary::of).toList(), page.nextCursor());
    }
  }

  /** One listed conversation. */
  record Summary(String id, String title, Instant createdAt, Instant updatedAt, int turns) {
    static Summary of(ConversationSummary s) {
      return new Summary(
          s.id(),
          s.title(),
          Instant.ofEpochMilli(s.createdAt()),
          Instant.ofEpochMilli(s.updatedAt()),
          s.turns());
    }
  }

  /** {@code GET /v1/conversations/{id}}. */
  record Conversation(
      String id, String title, Instant createdAt, Instant updatedAt, List<TurnView> turns) {}

  /** One turn. */
  record TurnView(
      String streamId,
      long generation,
      String model,
      List<Message> messages,
      String answer,
      String status,
      String partialReason,
      String finishReason,
      boolean truncated,
      Turn.Usage usage,
      Instant startedAt,
      Long firstTokenMs,
      Instant endedAt,
      boolean delivered) {
    static TurnView of(Turn t) {
      return new TurnView(
          t.streamId(),
          t.generation(),
          t.model(),
          t.prompt(),
          t.answer(),
          t.partial() ? "partial" : "complete",
          t.partialReason(),
          t.finishReason(),
          t.truncated(),
          t.usage(),
          Instant.ofEpochMilli(t.startedAtMs()),
          t.firstTokenMs(),
          Instant.ofEpochMilli(t.endedAtMs()),
          t.delivered());
    }
  }
}
