package io.jindouyun.devllm;

/** A request the OpenAI API would answer with 400 {@code invalid_request_error}. */
final class BadRequestException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String param;

  BadRequestException(String message, String param) {
    super(message, null, false, false);
    this.param = param;
  }

  /** The offending request field, or null. */
  String param() {
    return param;
  }
}
