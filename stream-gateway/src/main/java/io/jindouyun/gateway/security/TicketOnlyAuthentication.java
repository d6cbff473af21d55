package io.jindouyun.gateway.security;

import org.springframework.security.authentication.ReactiveAuthenticationManager;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import reactor.core.publisher.Mono;

/**
 * Authenticates bearer tokens with the JWT manager it wraps, and refuses a token read from {@code
 * ?ticket=} unless it is a stream ticket: a user token in a URL (logs, history, referrers) would
 * otherwise read every stream of its user.
 */
final class TicketOnlyAuthentication implements ReactiveAuthenticationManager {

  /** The 401's detail for a user token in {@code ?ticket=}. */
  static final String NOT_A_TICKET =
      "?ticket= takes a stream ticket (the handshake's ticket), not a user token: send a user"
          + " token as Authorization: Bearer";

  private final ReactiveAuthenticationManager jwt;

  TicketOnlyAuthentication(ReactiveAuthenticationManager jwt) {
    this.jwt = jwt;
  }

  @Override
  public Mono<Authentication> authenticate(Authentication authentication) {
    Mono<Authentication> result = jwt.authenticate(authentication);
    if (!(authentication instanceof TicketOrBearerConverter.QueryTicket)) {
      return result;
    }
    return result.map(
        a -> {
          if (a instanceof JwtAuthenticationToken token
              && token.getToken().getClaimAsString(Caller.STREAM_CLAIM) != null) {
            return a;
          }
          throw new InvalidBearerTokenException(NOT_A_TICKET);
        });
  }
}
