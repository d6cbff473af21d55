package io.jindouyun.gateway.stream;

import io.jindouyun.gateway.problem.ProblemKind;

/**
 * An RFC 9457 problem that ends a stream after it started; carried by the {@code error} event.
 *
 * @param type the problem type URI
 * @param title a short summary
 * @param status the HTTP status it would have had
 * @param detail what happened to this stream
 */
public record StreamProblem(String type, String title, int status, String detail) {

  /** A problem of one of the gateway's own kinds. */
  public static StreamProblem of(ProblemKind kind, String detail) {
    return new StreamProblem(kind.type(), kind.title(), kind.status(), detail);
  }
}
