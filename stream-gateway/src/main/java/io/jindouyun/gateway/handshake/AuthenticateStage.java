package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.security.Caller;
import reactor.core.publisher.Mono;

/** Takes the user id from the caller's bearer token; a stream ticket is not enough here. */
final class AuthenticateStage implements HandshakeStage {

  static final int ORDER = 100;

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    Caller caller = Caller.of(ctx.principal());
    if (caller == null || caller.ticketFor() != null) {
      return Mono.error(new ProblemException(ProblemKind.UNAUTHORIZED, "a user token is required"));
    }
    return chain.next(ctx.withUserId(caller.userId()));
  }
}
