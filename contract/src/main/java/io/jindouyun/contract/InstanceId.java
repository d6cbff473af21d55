package io.jindouyun.contract;

import java.util.regex.Pattern;

/**
 * Instance ids: {@code [A-Za-z0-9_.-]{1,64}}. An id is the last segment of the instance's etcd
 * keys, the node part of the gateway's stream ids (which the edge parses), and the {@code
 * instanceId} of its metrics. Stateless.
 */
public final class InstanceId {

  /** The longest id. */
  public static final int MAX_LENGTH = 64;

  /** What an instance id may look like. */
  public static final Pattern PATTERN = Pattern.compile("[A-Za-z0-9_.-]{1," + MAX_LENGTH + "}");

  private static final Pattern NOT_ALLOWED = Pattern.compile("[^A-Za-z0-9_.-]");

  private InstanceId() {}

  /** Whether {@code id} is a valid instance id (null is not). */
  public static boolean isValid(String id) {
    return id != null && PATTERN.matcher(id).matches();
  }

  /**
   * Returns {@code id} when it is valid.
   *
   * @param what what the id is, for the message, e.g. {@code jindouyun.instance.id}
   * @throws IllegalArgumentException "{@code <what> must match <pattern>: <id>}" otherwise
   */
  public static String require(String id, String what) {
    if (!isValid(id)) {
      throw new IllegalArgumentException(what + " must match " + PATTERN + ": " + id);
    }
    return id;
  }

  /**
   * A valid id made from free text: every character outside the pattern becomes {@code _}, and the
   * result is cut to {@link #MAX_LENGTH}. The text must not be empty.
   */
  public static String sanitize(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("cannot make an instance id of empty text");
    }
    String id = NOT_ALLOWED.matcher(text).replaceAll("_");
    return id.length() <= MAX_LENGTH ? id : id.substring(0, MAX_LENGTH);
  }
}
