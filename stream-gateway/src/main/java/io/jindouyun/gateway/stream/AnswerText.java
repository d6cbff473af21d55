package io.jindouyun.gateway.stream;

import java.util.Arrays;

/**
 * The text of one generation's answer: one growing string plus, per seq, its end offset and its lag
 * behind the generation's creation, so no object is kept per chunk.
 *
 * <p>Concurrency: not thread-safe; its {@link Generation} creates it with the first chunk and uses
 * it only under its own monitor.
 */
final class AnswerText {

  private final StringBuilder text;
  private int[] ends = new int[8];
  private int[] lags = new int[8];
  private int count;
  private long bytes;

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

  /** Appends the next chunk: {@code delta} of {@code size} UTF-8 bytes, {@code lagMillis} late. */
  void append(String delta, long size, long lagMillis) {
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
      lags = Arrays.copyOf(lags, count * 2);
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
}
