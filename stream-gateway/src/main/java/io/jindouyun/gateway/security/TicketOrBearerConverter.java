package io.jindouyun.gateway.security;

import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.web.server.authentication.ServerBearerTokenAuthenticationConverter;
import org.springframework.security.web.server.authentication.ServerAuthenticationConverter;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * Reads the credential of a request: the {@code Authorization: Bearer} header, or else, only for
 * {@code GET /v1/chat/stream/{streamId}}, a {@code ?ticket=} query parameter (for clients such as
 * {@code EventSource} that cannot set headers). A credential from the query is a {@link
 * QueryTicket}: {@link TicketOnlyAuthentication} accepts only a stream ticket there; whether the
 * ticket fits the stream is checked by the stream handler.
 */
final class TicketOrBearerConverter implements ServerAuthenticationConverter {

  static final String TICKET_PARAM = "ticket";
  private static final Pattern STREAM_PATH = Pattern.compile("/v1/chat/stream/[^/]+");

  private final ServerBearerTokenAuthenticationConverter bearer =
      new ServerBearerTokenAuthenticationConverter();

  @Override
  public Mono<Authentication> convert(ServerWebExchange exchange) {
    var request = exchange.getRequest();
    if (request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION) == null
        && HttpMethod.GET.equals(request.getMethod())
        && STREAM_PATH.matcher(request.getPath().pathWithinApplication().value()).matches()) {
      String ticket = request.getQueryParams().getFirst(TICKET_PARAM);
      if (ticket != null && !ticket.isEmpty()) {
        return Mono.just(new QueryTicket(ticket));
      }
    }
    return bearer.convert(exchange);
  }

  /** A token read from {@code ?ticket=}: it must turn out to be a stream ticket. */
  static final class QueryTicket extends BearerTokenAuthenticationToken {
    private static final long serialVersionUID = 1L;

    QueryTicket(String token) {
      super(token);
    }
  }
}
