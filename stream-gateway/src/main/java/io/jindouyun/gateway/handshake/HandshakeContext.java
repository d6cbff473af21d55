package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.stream.Generation;
import java.security.Principal;
import java.util.List;

/**
 * What the handshake stages know so far. Immutable: a stage passes an enriched copy on.
 *
 * @param principal the authenticated caller as Spring Security saw it, or null
 * @param body the raw request body (already bounded in size)
 * @param startedNanos when the handshake started ({@link System#nanoTime()})
 * @param userId the caller's user id, once authenticated
 * @param request the parsed and validated body, once validated
 * @param generation the generation opened for this handshake, once opened
 * @param model the model to use (the request's or the default)
 * @param independent whether this is an OpenAI-compatible API request: its generation takes no user
 *     slot (it supersedes nothing and is superseded by nothing) and its job says so
 * @param conversationId the conversation of this chat (the request's or a new one), once resolved
 * @param earlier the conversation's earlier turns the job carries, oldest first, once resolved
 */
public record HandshakeContext(
    Principal principal,
    byte[] body,
    long startedNanos,
    String userId,
    ChatRequest request,
    Generation generation,
    String model,
    boolean independent,
    String conversationId,
    List<ChatRequest.Message> earlier) {

  /** A context for a new handshake. */
  public static HandshakeContext start(Principal principal, byte[] body) {
    return new HandshakeContext(
        principal, body, System.nanoTime(), null, null, null, null, false, null, List.of());
  }

  /**
   * A context for an independent request (OpenAI-compatible API): it runs the same stages, but its
   * generation is never installed in the user's slot and its job is outside the user's order.
   */
  public static HandshakeContext independent(Principal principal, byte[] body) {
    return new HandshakeContext(
        principal, body, System.nanoTime(), null, null, null, null, true, null, List.of());
  }

  HandshakeContext withUserId(String id) {
    return new HandshakeContext(
        principal,
        body,
        startedNanos,
        id,
        request,
        generation,
        model,
        independent,
        conversationId,
        earlier);
  }

  HandshakeContext withRequest(ChatRequest parsed, String chosenModel) {
    return new HandshakeContext(
        principal,
        body,
        startedNanos,
        userId,
        parsed,
        generation,
        chosenModel,
        independent,
        conversationId,
        earlier);
  }

  HandshakeContext withGeneration(Generation opened) {
    return new HandshakeContext(
        principal,
        body,
        startedNanos,
        userId,
        request,
        opened,
        model,
        independent,
        conversationId,
        earlier);
  }

  HandshakeContext withConversation(String id, List<ChatRequest.Message> earlierTurns) {
    return new HandshakeContext(
        principal,
        body,
        startedNanos,
        userId,
        request,
        generation,
        model,
        independent,
        id,
        List.copyOf(earlierTurns));
  }
}
