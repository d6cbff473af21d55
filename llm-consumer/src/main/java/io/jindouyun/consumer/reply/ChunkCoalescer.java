package io.jindouyun.consumer.reply;

/**
 * The coalescing rule for one attempt's tokens, without clocks or threads: the first token is sent
 * at once (time to first token matters most); after it, tokens gather in a buffer that is sent when
 * it holds {@code maxBytes} UTF-8 bytes, or when the caller's timer fires {@code coalesceDelay}
 * after the first token entered the empty buffer ({@link Decision#ARM_TIMER} says when to arm it).
 *
 * <p>Not thread-safe: the owner confines it to one thread.
 */
public final class ChunkCoalescer {

  /** What the caller does after {@link #offer}. */
  public enum Decision {
    /** Send {@link #take()} now. */
    FLUSH_NOW,
    /** The buffer was empty: arm the flush timer. */
    ARM_TIMER,
    /** Nothing: a timer is armed already. */
    WAIT
  }

  private final int maxBytes;
  private final StringBuilder buffer = new StringBuilder();
  private int bytes;
  private boolean firstSent;

  /** A coalescer that sends at {@code maxBytes} buffered bytes (at least 1). */
  public ChunkCoalescer(int maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be at least 1: " + maxBytes);
    }
    this.maxBytes = maxBytes;
  }

  /** Adds a token's text and says what to do. */
  public Decision offer(String delta) {
    boolean wasEmpty = buffer.isEmpty();
    buffer.append(delta);
    bytes += utf8Length(delta);
    if (!firstSent || bytes >= maxBytes) {
      return Decision.FLUSH_NOW;
    }
    return wasEmpty ? Decision.ARM_TIMER : Decision.WAIT;
  }

  /** Whether text is waiting. */
  public boolean isEmpty() {
    return buffer.isEmpty();
  }

  /** Buffered UTF-8 bytes. */
  public int bufferedBytes() {
    return bytes;
  }

  /** Removes and returns the buffered text (maybe empty); later tokens are coalesced. */
  public String take() {
    String text = buffer.toString();
    buffer.setLength(0);
    bytes = 0;
    firstSent = true;
    return text;
  }

  /** Forgets everything: a new attempt starts, whose first token is sent at once again. */
  public void reset() {
    buffer.setLength(0);
    bytes = 0;
    firstSent = false;
  }

  /**
   * UTF-8 length of {@code text} (a lone surrogate counts as the one byte of the {@code ?} that
   * replaces it).
   */
  static int utf8Length(CharSequence text) {
    int length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        length++;
      } else if (c < 0x800) {
        length += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        length += 4;
        i++;
      } else if (Character.isSurrogate(c)) {
        length++;
      } else {
        length += 3;
      }
    }
    return length;
  }
}
