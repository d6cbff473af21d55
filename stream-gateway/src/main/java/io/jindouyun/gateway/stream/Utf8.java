package io.jindouyun.gateway.stream;

/** UTF-8 sizes without encoding. */
final class Utf8 {

  private Utf8() {}

  /** The number of bytes {@code s} takes in UTF-8. */
  static long length(CharSequence s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < len) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
