package io.jindouyun.gateway.handshake;

import reactor.core.publisher.Mono;

/**
 * One step of the handshake pipeline (a chain of responsibility).
 *
 * <p>Contract: a stage either passes on by returning {@code chain.next(ctx)} (usually with an
 * enriched context), or ends the handshake by returning {@code Mono.error(new
 * ProblemException(...))}. A stage must not block, must not call {@code chain.next} more than once,
 * and if it acquires something that later stages may fail to complete (a generation), it releases
 * it when the downstream {@code Mono} fails. Stages run in ascending {@link #order()}; orders leave
 * gaps so new stages can slot in between.
 */
public interface HandshakeStage {

  /** Position in the pipeline; lower runs first. */
  int order();

  /** Applies this stage and, unless it ends the handshake, the rest of the chain. */
  Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain);
}
