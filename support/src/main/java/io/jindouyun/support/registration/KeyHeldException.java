package io.jindouyun.support.registration;

/** Another live instance holds the key a {@link Registrar} was to keep: it was not overwritten. */
public final class KeyHeldException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final String key;

  KeyHeldException(String key, String message) {
    super(message);
    this.key = key;
  }

  /** The key, e.g. {@code /jindouyun/instances/stream-gateway/gw-1}. */
  public String key() {
    return key;
  }
}
