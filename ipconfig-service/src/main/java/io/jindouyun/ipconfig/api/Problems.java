package io.jindouyun.ipconfig.api;

import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;

/** RFC 9457 problem answers with a stable {@code type} per kind. */
final class Problems {

  static final String UNKNOWN_SERVICE = "unknown-service";
  static final String INVALID_WAIT = "invalid-wait";
  static final String TOO_MANY_WAITERS = "too-many-waiters";
  static final String NOT_READY = "not-ready";

  private static final String TYPE_BASE = "https://jindouyun.io/problems/";

  private Problems() {}

  static ResponseEntity<Object> of(HttpStatus status, String kind, String title, String detail) {
    ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
    problem.setType(URI.create(TYPE_BASE + kind));
    problem.setTitle(title);
    ResponseEntity.BodyBuilder builder =
        ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON);
    if (status == HttpStatus.SERVICE_UNAVAILABLE) {
      builder.header("Retry-After", "1");
    }
    return builder.body(problem);
  }

  static ResponseEntity<Object> unknownService(String service) {
    return of(
        HttpStatus.NOT_FOUND,
        UNKNOWN_SERVICE,
        "Unknown service",
        "service '" + service + "' is not ranked by this ipconfig (see ipconfig.yml)");
  }
}
