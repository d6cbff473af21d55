package io.jindouyun.contract;

import java.util.regex.Pattern;

/**
 * Service names as they appear in etcd keys and in ipconfig's ranking config: {@code
 * [a-z0-9][a-z0-9-]{0,62}}. Stateless.
 */
public final class ServiceName {

  /** What a service name may look like. */
  public static final Pattern PATTERN = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

  private ServiceName() {}

  /** Whether {@code name} is a valid service name (null is not). */
  public static boolean isValid(String name) {
    return name != null && PATTERN.matcher(name).matches();
  }
}
