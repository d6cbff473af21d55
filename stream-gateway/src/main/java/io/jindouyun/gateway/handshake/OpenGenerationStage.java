package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.StreamMap;
import reactor.core.publisher.Mono;

/**
 * Opens a new generation in the stream map (compare-and-set; newer wins, the user's previous
 * generation is superseded). If a later stage fails, the generation is rolled back so that no
 * failed handshake leaves one behind.
 */
final class OpenGenerationStage implements HandshakeStage {

  static final int ORDER = 400;

  private final StreamMap streams;
  private final String node;

  OpenGenerationStage(StreamMap streams, String node) {
    this.streams = streams;
    this.node = node;
  }

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    Generation gen = streams.open(ctx.userId(), StreamIds.next(node)).generation();
    return chain
        .next(ctx.withGeneration(gen))
        .onErrorResume(
            e -> {
              streams.rollback(gen, reason(e));
              return Mono.error(e);
            });
  }

  private static String reason(Throwable e) {
    return e instanceof ProblemException p ? p.kind().name().toLowerCase() : "handshake-failed";
  }
}
