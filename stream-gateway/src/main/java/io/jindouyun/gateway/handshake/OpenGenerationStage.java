package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.StreamMap;
import reactor.core.publisher.Mono;

/**
 * Prepares a new generation in the stream map and, once every later stage succeeded (the job is
 * accepted by Kafka), commits it: compare-and-set, newer wins, and only then is the user's previous
 * generation superseded. If a later stage or the commit fails, the generation is rolled back, so a
 * failed handshake leaves none behind and never ends the user's running stream.
 *
 * <p>An independent request (see {@link HandshakeContext#independent}) is never committed: its
 * generation lives in the stream map's index only, supersedes nothing and is let go by its reader
 * ({@link StreamMap#close}).
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
    Generation gen = streams.prepare(ctx.userId(), StreamIds.next(node));
    return chain
        .next(ctx.withGeneration(gen))
        .map(
            result -> {
              if (!ctx.independent()) {
                streams.commit(gen);
              }
              return result;
            })
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
