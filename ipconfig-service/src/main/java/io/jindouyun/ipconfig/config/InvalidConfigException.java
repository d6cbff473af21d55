package io.jindouyun.ipconfig.config;

import java.util.List;

/** {@code ipconfig.yml} could not be read or is invalid; the message lists every problem. */
public final class InvalidConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvalidConfigException(String origin, List<String> problems) {
    super("invalid ranking config " + origin + ":\n  - " + String.join("\n  - ", problems));
  }
}
