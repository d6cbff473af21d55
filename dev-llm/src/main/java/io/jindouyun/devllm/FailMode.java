package io.jindouyun.devllm;

import java.util.Locale;

/**
 * A failure the development LLM injects into an answer, selected by the {@code X-Dev-Fail} header,
 * a {@code [dev:fail=...]} directive or the server default.
 */
public enum FailMode {
  /** Answer normally. */
  NONE("none"),
  /** {@code 429} with {@code Retry-After} before any streaming. */
  RATE_LIMITED("429"),
  /** {@code 500} before any streaming. */
  SERVER_ERROR("500"),
  /** {@code 400} before any streaming: a non-retryable client error. */
  BAD_REQUEST("400"),
  /** After N tokens an SSE {@code data: {"error":{...}}} event, then the response ends. */
  ERROR_MID("error-mid"),
  /** After N tokens the connection is aborted without {@code [DONE]}. */
  DROP_MID("drop-mid");

  private final String token;

  FailMode(String token) {
    this.token = token;
  }

  /** The name used in headers, directives and flags ({@code 429}, {@code error-mid}, ...). */
  public String token() {
    return token;
  }

  /**
   * Parses a header, directive or flag value.
   *
   * @throws IllegalArgumentException for an unknown value
   */
  public static FailMode parse(String value) {
    String wanted = value.trim().toLowerCase(Locale.ROOT);
    for (FailMode mode : values()) {
      if (mode.token.equals(wanted)) {
        return mode;
      }
    }
    if (wanted.isEmpty() || wanted.equals("off")) {
      return NONE;
    }
    throw new IllegalArgumentException("unknown failure mode '" + value + "'");
  }

  /** True for the modes that fail before the first byte of the answer. */
  boolean beforeStreaming() {
    return this == RATE_LIMITED || this == SERVER_ERROR || this == BAD_REQUEST;
  }
}
