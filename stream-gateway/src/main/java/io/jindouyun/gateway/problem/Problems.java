package io.jindouyun.gateway.problem;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/** Builds RFC 9457 problem answers ({@code application/problem+json}). */
public final class Problems {

  private Problems() {}

  /** The problem detail of {@code kind} for a request to {@code path}. */
  public static ProblemDetail detail(ProblemKind kind, String detail, String path) {
    ProblemDetail pd =
        ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(kind.status()), detail);
    pd.setType(URI.create(kind.type()));
    pd.setTitle(kind.title());
    if (path != null) {
      pd.setInstance(URI.create(path));
    }
    return pd;
  }

  /** The JSON members of a problem, in the RFC's order. */
  public static Map<String, Object> members(ProblemDetail pd) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", String.valueOf(pd.getType()));
    m.put("title", pd.getTitle());
    m.put("status", pd.getStatus());
    if (pd.getDetail() != null) {
      m.put("detail", pd.getDetail());
    }
    if (pd.getInstance() != null) {
      m.put("instance", pd.getInstance().toString());
    }
    if (pd.getProperties() != null) {
      m.putAll(pd.getProperties());
    }
    return m;
  }

  /** A response for {@code e}, with {@code Retry-After} when it carries one. */
  public static Mono<ServerResponse> respond(ProblemException e, String path) {
    ProblemDetail pd = detail(e.kind(), e.getMessage(), path);
    ServerResponse.BodyBuilder builder =
        ServerResponse.status(e.kind().status()).contentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (e.retryAfter() != null) {
      builder.header(
          HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, e.retryAfter().toSeconds())));
    }
    return builder.bodyValue(members(pd));
  }
}
