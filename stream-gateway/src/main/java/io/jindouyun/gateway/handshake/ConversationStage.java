package io.jindouyun.gateway.handshake;

import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Mono;

/**
 * Resolves the chat's conversation ({@link ConversationLookup}): the one named by {@code
 * conversationId}, whose earlier turns the job then carries, or a new one. Runs after the rate
 * limit and before a generation is opened, so a refused conversation supersedes nothing.
 */
final class ConversationStage implements HandshakeStage {

  static final int ORDER = 350;

  private final ConversationLookup conversations;

  ConversationStage(ConversationLookup conversations) {
    this.conversations = conversations;
  }

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    long promptBytes = 0;
    for (ChatRequest.Message m : ctx.request().messages()) {
      promptBytes += m.content().getBytes(StandardCharsets.UTF_8).length;
    }
    return conversations
        .resolve(ctx.userId(), ctx.request().conversationId(), promptBytes)
        .flatMap(resolved -> chain.next(ctx.withConversation(resolved.id(), resolved.earlier())));
  }
}
