package io.jindouyun.contract;

/** An etcd key or value that does not follow the contract; the message says why. */
public final class BadRecordException extends Exception {
  private static final long serialVersionUID = 1L;

  public BadRecordException(String message) {
    super(message);
  }
}
