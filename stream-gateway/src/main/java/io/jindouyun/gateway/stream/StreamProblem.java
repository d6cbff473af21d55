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

  /**
   * Whether this problem says that a newer generation of the same user replaced the stream's (the
   * llm-consumer's fleet-wide order, when the newer handshake came to another gateway): the stream
   * then ends with {@code superseded}, as a local supersede would end it.
   */
  public boolean supersedes() {
    return ProblemKind.SUPERSEDED.type().equals(type);
  }

  /** A problem of one of the gateway's own kinds. */
  public static StreamProblem of(ProblemKind kind, String detail) {
    return new StreamProblem(kind.type(), kind.title(), kind.status(), detail);
  }
}
