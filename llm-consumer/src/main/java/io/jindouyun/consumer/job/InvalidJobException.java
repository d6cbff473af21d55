package io.jindouyun.consumer.job;

/** A job record that cannot be used: not a {@code ChatJob}, or one missing what a run needs. */
public final class InvalidJobException extends RuntimeException {

  public InvalidJobException(String message, Throwable cause) {
    super(message, cause);
  }
}
