package io.jindouyun.history;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Page cursors of the conversation list: the (updatedAt, id) of the last conversation of a page,
 * opaque to clients (base64url of {@code <updatedAt>:<id>}). Pure; thread-safe.
 */
public final class Cursors {

  /** The position after which the next page starts. */
  public record Position(long updatedAt, String id) {}

  private Cursors() {}

  /** The cursor of {@code position}. */
  public static String encode(Position position) {
    String raw = position.updatedAt() + ":" + position.id();
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The position in {@code cursor}.
   *
   * @throws IllegalArgumentException when it is not a cursor this class made
   */
  public static Position decode(String cursor) {
    String raw;
    try {
      raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cursor is not valid", e);
    }
    int colon = raw.indexOf(':');
    if (colon <= 0 || colon == raw.length() - 1) {
      throw new IllegalArgumentException("cursor is not valid");
    }
    try {
      return new Position(Long.parseLong(raw.substring(0, colon)), raw.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("cursor is not valid", e);
    }
  }
}
