package io.jindouyun.gateway.stream;

import java.util.Arrays;

/**
 * The text of one generation's answer: one growing string plus, per seq, its end offset and its lag
 * behind the generation's creation, so no object is kept per chunk.
 *
 * <p>It knows the heap it holds ({@link #heapBytes()}): its arrays by their capacity, not their
 * length, and the text's array at one byte per char while every char is Latin-1 (a {@code
 * StringBuilder} with compact strings) and two from the first char that is not.
 *
 * <p>Concurrency: not thread-safe; its {@link Generation} creates it with the first chunk and uses
 * it only under its own monitor.
 */
final class AnswerText {

  /**
   * This object and its {@code StringBuilder}, with compressed class pointers and oops (a heap
   * under 32 GB): 12-byte headers, 4-byte references, 8-byte alignment.
   */
  static final long SHALLOW_BYTES = 40 + 24;

  /** Header and length of an array. */
  static final long ARRAY_HEADER_BYTES = 16;

  private final StringBuilder text;
  private int[] ends = new int[8];
  private int[] lags = new int[8];
  private int count;
  private long bytes;
  private boolean latin1 = true;

  /** An empty text sized for a first delta of {@code firstLength} chars. */
  AnswerText(int firstLength) {
    this.text = new StringBuilder(Math.max(16, firstLength));
  }

  /** Chunks held: the next seq is this. */
  int count() {
    return count;
  }

  /** UTF-8 bytes held. */
  long bytes() {
    return bytes;
  }

  /** The heap this text holds: its objects and its arrays at their capacity. */
  long heapBytes() {
    long textArray = (long) text.capacity() << (latin1 ? 0 : 1);
    return SHALLOW_BYTES + array(textArray) + 2 * array(4L * ends.length);
  }

  /** Appends the next chunk: {@code delta} of {@code size} UTF-8 bytes, {@code lagMillis} late. */
  void append(String delta, long size, long lagMillis) {
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
      lags = Arrays.copyOf(lags, count * 2);
    }
    if (latin1) {
      latin1 = isLatin1(delta);
    }
    text.append(delta);
    ends[count] = text.length();
    lags[count] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, lagMillis));
    count++;
    bytes += size;
  }

  /** The delta of chunk {@code seq}. */
  String delta(int seq) {
    return text.substring(seq == 0 ? 0 : ends[seq - 1], ends[seq]);
  }

  /** How late chunk {@code seq} was, in milliseconds after the generation's creation. */
  int lagMillis(int seq) {
    return lags[seq];
  }

  /** The heap of an array whose elements take {@code payload} bytes, aligned to 8. */
  static long array(long payload) {
    return (ARRAY_HEADER_BYTES + payload + 7) & ~7L;
  }

  private static boolean isLatin1(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      if (s.charAt(i) > 0xFF) {
        return false;
      }
    }
    return true;
  }
}
