package io.jindouyun.gateway.handshake;

import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Resolves the conversation of a handshake: the one the client named, or a new one.
 *
 * <p>Contract: never blocks; emits the conversation, or fails with a {@code ProblemException}
 * (another user's conversation: 404 as if it did not exist; a full one: 409; the history
 * unreachable: 503).
 */
public interface ConversationLookup {

  /**
   * The conversation of {@code userId}'s chat: {@code requestedId} (null: a new one) with the
   * earlier turns its job carries.
   *
   * @param promptBytes UTF-8 bytes of the chat's messages, checked against the per-turn bound
   */
  Mono<Resolved> resolve(String userId, String requestedId, long promptBytes);

  /**
   * A resolved conversation.
   *
   * @param id its id
   * @param earlier the earlier turns as messages (each turn's messages, then its answer as {@code
   *     assistant}), oldest first
   */
  record Resolved(String id, List<ChatRequest.Message> earlier) {}
}
