package io.jindouyun.gateway.history;

import io.jindouyun.gateway.handshake.ChatRequest;
import io.jindouyun.gateway.handshake.ConversationLookup;
import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.history.ContextBudget;
import io.jindouyun.history.HistoryProperties;
import io.jindouyun.history.HistoryStore;
import io.jindouyun.history.Message;
import io.jindouyun.history.Turn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import reactor.core.publisher.Mono;

/**
 * The handshake's conversation from the history: a new id when the client names none; else the
 * named conversation's earlier turns within the budget (a conversation not stored yet is new under
 * the client's id). With no history configured ({@code store} null) ids are still issued and
 * checked but no turns are carried. Thread-safe.
 */
final class StoredConversations implements ConversationLookup {

  /** Conversation ids: URL-safe, at most 64 characters (the history's column). */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9._~:-]{1,64}");

  private final HistoryStore store;
  private final HistoryProperties props;
  private final ContextBudget budget;

  StoredConversations(HistoryStore store, HistoryProperties props) {
    this.store = store;
    this.props = props;
    this.budget = new ContextBudget(props.contextBudgetChars());
  }

  @Override
  public Mono<Resolved> resolve(String userId, String requestedId, long promptBytes) {
    if (requestedId != null && !ID.matcher(requestedId).matches()) {
      return Mono.error(
          new ProblemException(
              ProblemKind.VALIDATION,
              "conversationId must be 1 to 64 letters, digits or . _ ~ : -"));
    }
    if (promptBytes > props.maxTurnBytes()) {
      return Mono.error(
          new ProblemException(
              ProblemKind.PAYLOAD_TOO_LARGE,
              "the messages hold "
                  + promptBytes
                  + " bytes; a conversation turn holds at most "
                  + props.maxTurnBytes()
                  + " (jindouyun.history.max-turn-bytes)"));
    }
    if (requestedId == null) {
      return Mono.just(new Resolved(UUID.randomUUID().toString(), List.of()));
    }
    if (store == null) {
      return Mono.just(new Resolved(requestedId, List.of()));
    }
    return store
        .context(userId, requestedId, budget)
        .onErrorMap(
            e ->
                new ProblemException(
                    ProblemKind.UNAVAILABLE,
                    "the conversation history is unavailable; try again",
                    Duration.ofSeconds(1),
                    e))
        .flatMap(
            context ->
                switch (context.standing()) {
                  case NEW -> Mono.just(new Resolved(requestedId, List.of()));
                  case OPEN -> Mono.just(new Resolved(requestedId, messages(context.earlier())));
                  case FOREIGN ->
                      Mono.error(
                          new ProblemException(
                              ProblemKind.CONVERSATION_NOT_FOUND,
                              "no conversation " + requestedId));
                  case FULL ->
                      Mono.error(
                          new ProblemException(
                              ProblemKind.CONVERSATION_FULL,
                              "the conversation holds its maximum of "
                                  + props.maxTurnsPerConversation()
                                  + " turns (jindouyun.history.max-turns-per-conversation);"
                                  + " start a new one"));
                });
  }

  /** Each turn's messages, then its answer as the assistant's. */
  static List<ChatRequest.Message> messages(List<Turn> turns) {
    List<ChatRequest.Message> messages = new ArrayList<>();
    for (Turn turn : turns) {
      for (Message m : turn.prompt()) {
        messages.add(new ChatRequest.Message(m.role(), m.content()));
      }
      if (!turn.answer().isEmpty()) {
        messages.add(new ChatRequest.Message("assistant", turn.answer()));
      }
    }
    return messages;
  }
}
