package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import reactor.core.publisher.Mono;

/**
 * Refuses a handshake with 503 (and {@code Retry-After}) while its answer could not be read: the
 * gateway reads no reply partition (its reader is restarting after a failure). Runs before a
 * generation is opened, so a refused handshake touches none of the user's streams, and before the
 * rate limit, so it costs the user no token.
 */
final class ReadyStage implements HandshakeStage {

  static final int ORDER = 250;
  static final Duration RETRY_AFTER = Duration.ofSeconds(2);

  private final JobSender sender;

  ReadyStage(JobSender sender) {
    this.sender = sender;
  }

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    if (!sender.ready()) {
      return Mono.error(
          new ProblemException(
              ProblemKind.UNAVAILABLE,
              "this gateway cannot read answers right now; try again",
              RETRY_AFTER,
              null));
    }
    return chain.next(ctx);
  }
}
