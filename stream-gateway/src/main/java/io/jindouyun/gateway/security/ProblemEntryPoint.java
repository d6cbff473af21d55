package io.jindouyun.gateway.security;

import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.problem.Problems;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Answers a missing or bad credential with a 401 problem and {@code WWW-Authenticate: Bearer}. */
final class ProblemEntryPoint implements ServerAuthenticationEntryPoint {

  private final JsonMapper json;

  ProblemEntryPoint(JsonMapper json) {
    this.json = json;
  }

  @Override
  public Mono<Void> commence(ServerWebExchange exchange, AuthenticationException ex) {
    var response = exchange.getResponse();
    response.setStatusCode(HttpStatusCode.valueOf(ProblemKind.UNAUTHORIZED.status()));
    response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
    response.getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
    String detail =
        exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION) == null
                && !exchange.getRequest().getQueryParams().containsKey("ticket")
            ? "a bearer token is required"
            : "the token is invalid or expired";
    byte[] body =
        json.writeValueAsBytes(
            Problems.members(
                Problems.detail(
                    ProblemKind.UNAUTHORIZED,
                    detail,
                    exchange.getRequest().getPath().pathWithinApplication().value())));
    DataBuffer buffer = response.bufferFactory().wrap(body);
    return response.writeWith(Mono.just(buffer));
  }
}
