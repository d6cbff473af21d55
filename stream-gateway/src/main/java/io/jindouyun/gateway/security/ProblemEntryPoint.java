package io.jindouyun.gateway.security;

import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.problem.Problems;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.jwt.JwtValidationException;
import org.springframework.security.web.server.ServerAuthenticationEntryPoint;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Answers a missing or bad credential with a 401 problem and {@code WWW-Authenticate: Bearer}; on
 * the OpenAI-compatible endpoints with OpenAI's error object instead.
 */
final class ProblemEntryPoint implements ServerAuthenticationEntryPoint {

  private static final Set<String> OPENAI_PATHS = Set.of("/v1/chat/completions", "/v1/models");

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
    String detail = detail(exchange, ex);
    String path = exchange.getRequest().getPath().pathWithinApplication().value();
    if (OPENAI_PATHS.contains(path)) { // OpenAI clients read OpenAI's error shape
      response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("message", detail);
      error.put("type", "invalid_request_error");
      error.put("param", null);
      error.put("code", "invalid_api_key");
      return response.writeWith(
          Mono.just(response.bufferFactory().wrap(json.writeValueAsBytes(Map.of("error", error)))));
    }
    byte[] body =
        json.writeValueAsBytes(
            Problems.members(Problems.detail(ProblemKind.UNAUTHORIZED, detail, path)));
    DataBuffer buffer = response.bufferFactory().wrap(body);
    return response.writeWith(Mono.just(buffer));
  }

  /**
   * What is wrong: no credential; a user token in {@code ?ticket=}; the claims the token fails
   * ({@link ClaimRules}, expiry); else a bad signature or a malformed token, told apart no further.
   */
  static String detail(ServerWebExchange exchange, AuthenticationException ex) {
    if (exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION) == null
        && !exchange.getRequest().getQueryParams().containsKey("ticket")) {
      return "a bearer token is required";
    }
    if (TicketOnlyAuthentication.NOT_A_TICKET.equals(ex.getMessage())) {
      return TicketOnlyAuthentication.NOT_A_TICKET;
    }
    for (Throwable t = ex; t != null; t = t.getCause()) {
      if (t instanceof JwtValidationException invalid && !invalid.getErrors().isEmpty()) {
        return invalid.getErrors().stream()
            .map(OAuth2Error::getDescription)
            .collect(Collectors.joining("; "));
      }
    }
    return "the token is invalid or expired";
  }
}
