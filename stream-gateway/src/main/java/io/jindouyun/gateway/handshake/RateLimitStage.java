package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import reactor.core.publisher.Mono;

/** Limits handshakes per user with a token bucket; over it, 429 with {@code Retry-After}. */
final class RateLimitStage implements HandshakeStage {

  static final int ORDER = 300;

  private final TokenBuckets buckets;

  RateLimitStage(HandshakeProperties.RateLimit props) {
    this.buckets =
        new TokenBuckets(props.capacity(), props.refillPeriod().toNanos(), props.maxBuckets());
  }

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    long wait = buckets.tryAcquire(ctx.userId(), System.nanoTime());
    if (wait > 0) {
      Duration retryAfter = Duration.ofSeconds(Math.max(1, (wait + 999_999_999L) / 1_000_000_000L));
      return Mono.error(
          new ProblemException(
              ProblemKind.RATE_LIMITED, "too many handshakes; slow down", retryAfter, null));
    }
    return chain.next(ctx);
  }
}
