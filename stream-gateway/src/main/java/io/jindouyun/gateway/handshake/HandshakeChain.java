package io.jindouyun.gateway.handshake;

import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * The rest of the handshake pipeline from one position on. Immutable: {@link #next} builds the
 * chain one index further for the stage it calls, under {@link Mono#defer}, so nothing runs before
 * subscription and one chain may serve any number of concurrent handshakes.
 */
public final class HandshakeChain {

  private final List<HandshakeStage> stages;
  private final int index;
  private final Function<HandshakeContext, Mono<HandshakeResult>> terminal;

  private HandshakeChain(
      List<HandshakeStage> stages,
      int index,
      Function<HandshakeContext, Mono<HandshakeResult>> terminal) {
    this.stages = stages;
    this.index = index;
    this.terminal = terminal;
  }

  /** A chain over {@code stages} in ascending order, ending in {@code terminal}. */
  public static HandshakeChain of(
      List<? extends HandshakeStage> stages,
      Function<HandshakeContext, Mono<HandshakeResult>> terminal) {
    List<HandshakeStage> sorted =
        stages.stream()
            .map(HandshakeStage.class::cast)
            .sorted(Comparator.comparingInt(HandshakeStage::order))
            .toList();
    return new HandshakeChain(sorted, 0, terminal);
  }

  /** Runs the stage at this position with the chain after it, or the terminal step at the end. */
  public Mono<HandshakeResult> next(HandshakeContext ctx) {
    return Mono.defer(
        () -> {
          if (index < stages.size()) {
            return stages.get(index).apply(ctx, new HandshakeChain(stages, index + 1, terminal));
          }
          return terminal.apply(ctx);
        });
  }

  /** The stages in the order they run. */
  public List<HandshakeStage> stages() {
    return stages;
  }
}
