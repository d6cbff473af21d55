package io.jindouyun.ipconfig.watch;

/** An etcd record that cannot be used; the message says why. The last good state stays. */
final class BadRecordException extends Exception {
  private static final long serialVersionUID = 1L;

  BadRecordException(String message) {
    super(message);
  }
}
