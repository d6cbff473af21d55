package io.jindouyun.gateway.security;

import java.security.Principal;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Who made a request: the user id ({@code sub}) and, if the credential was a stream ticket, the one
 * stream it is good for.
 *
 * @param userId the user id
 * @param ticketFor the stream id of a ticket ({@code sid}), or null for a user token
 */
public record Caller(String userId, String ticketFor) {

  /** The claim that marks a stream ticket and names its stream. */
  public static final String STREAM_CLAIM = "sid";

  /** The caller behind {@code principal}, or null if it is not an authenticated JWT. */
  public static Caller of(Principal principal) {
    if (principal instanceof JwtAuthenticationToken token && token.isAuthenticated()) {
      Jwt jwt = token.getToken();
      String sub = jwt.getSubject();
      if (sub == null || sub.isBlank()) {
        return null;
      }
      return new Caller(sub, jwt.getClaimAsString(STREAM_CLAIM));
    }
    return null;
  }

  /** Whether this caller may use the stream endpoints of {@code streamId} for reading. */
  public boolean mayRead(String streamId) {
    return ticketFor == null || ticketFor.equals(streamId);
  }
}
