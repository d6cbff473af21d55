package io.jindouyun.consumer.llm;

import java.util.Arrays;

/**
 * Cuts a {@code text/event-stream} body, fed as byte chunks in the order they arrive, into events
 * and hands each event's data to a {@link DataHandler} as bytes, following the WHATWG
 * server-sent-events parsing rules: lines end with CRLF, LF or CR (a CRLF split between two chunks
 * counts once); an empty line ends an event; a line starting with {@code :} is a comment; {@code
 * data} lines append their value (after the colon and one optional space) and a LF to the event's
 * data, whose last LF is dropped when the event is dispatched; every other field ({@code event},
 * {@code id}, {@code retry}, unknown names) is ignored; an event without data is not dispatched; a
 * UTF-8 byte-order mark at the start is skipped; an unfinished event at the end of the body is
 * never dispatched (so a broken connection never hands over half an event).
 *
 * <p>No text is decoded and nothing is allocated per event: the data is handed over as a slice of
 * one buffer the framer reuses, valid only during the call. The buffer holds at most {@code
 * maxEventBytes}: an event's data so far plus the line being read; an event that would need more is
 * an {@link LlmProtocolException}.
 *
 * <p>One instance per body; not thread-safe (a body's chunks arrive serially).
 */
final class SseFramer {

  /** Receives one event's data. */
  @FunctionalInterface
  interface DataHandler {

    /**
     * One event's data (the {@code data} lines joined with LF), valid only during the call.
     *
     * @param data a buffer the framer reuses
     * @param offset where the data starts in {@code data}
     * @param length the data's length in bytes (0 for an event with an empty data line)
     */
    void onData(byte[] data, int offset, int length);
  }

  private static final int INITIAL_CAPACITY = 256;

  private static final byte LF = '\n';
  private static final byte CR = '\r';
  private static final byte COLON = ':';
  private static final byte SPACE = ' ';

  private final int maxEventBytes;
  private final DataHandler handler;

  /**
   * The event's data ({@code [0, dataLength)}), then the unfinished line ({@code [.., length)}).
   */
  private byte[] buffer = new byte[INITIAL_CAPACITY];

  private int dataLength;
  private int length;
  private boolean afterCr;
  private boolean firstLine = true;

  /**
   * @param maxEventBytes bound on the bytes held for one event: its data so far plus the line being
   *     read
   * @param handler receives each event's data
   */
  SseFramer(int maxEventBytes, DataHandler handler) {
    if (maxEventBytes < 1) {
      throw new IllegalArgumentException("maxEventBytes must be positive: " + maxEventBytes);
    }
    this.maxEventBytes = maxEventBytes;
    this.handler = handler;
  }

  /**
   * Reads the next chunk of the body; calls the handler for every event it completes.
   *
   * @throws LlmProtocolException when an event exceeds {@code maxEventBytes}
   */
  void feed(byte[] chunk, int offset, int count) {
    int end = offset + count;
    int i = offset;
    if (afterCr && i < end) {
      afterCr = false;
      if (chunk[i] == LF) {
        i++; // the LF of a CRLF split between chunks
      }
    }
    while (i < end) {
      int eol = i;
      while (eol < end && chunk[eol] != LF && chunk[eol] != CR) {
        eol++;
      }
      if (eol == end) {
        append(chunk, i, end - i);
        return;
      }
      if (length > dataLength) {
        append(chunk, i, eol - i);
        int lineStart = dataLength;
        int lineLength = length - lineStart;
        length = dataLength;
        line(buffer, lineStart, lineLength);
      } else {
        line(chunk, i, eol - i);
      }
      if (chunk[eol] == CR) {
        if (eol + 1 == end) {
          afterCr = true;
          return;
        }
        if (chunk[eol + 1] == LF) {
          eol++;
        }
      }
      i = eol + 1;
    }
  }

  /** Holds part of an unfinished line. */
  private void append(byte[] bytes, int offset, int count) {
    if (count == 0) {
      return;
    }
    bound(length + count);
    room(length + count);
    System.arraycopy(bytes, offset, buffer, length, count);
    length += count;
  }

  /** One complete line (without its end), from the chunk or from the buffer's line part. */
  private void line(byte[] bytes, int offset, int count) {
    if (firstLine) {
      firstLine = false;
      if (count >= 3
          && bytes[offset] == (byte) 0xEF
          && bytes[offset + 1] == (byte) 0xBB
          && bytes[offset + 2] == (byte) 0xBF) {
        offset += 3;
        count -= 3;
      }
    }
    if (count == 0) {
      dispatch();
      return;
    }
    bound(dataLength + count);
    if (bytes[offset] == COLON || !isData(bytes, offset, count)) {
      return; // a comment, or a field other than data
    }
    room(dataLength + count);
    int value = offset + 4;
    int end = offset + count;
    if (value < end) {
      value++; // the colon
      if (value < end && bytes[value] == SPACE) {
        value++;
      }
    }
    int valueLength = end - value;
    // the value and its LF take less room than the line: the room above suffices
    System.arraycopy(bytes, value, buffer, dataLength, valueLength);
    dataLength += valueLength;
    buffer[dataLength++] = LF;
    length = dataLength;
  }

  /** Whether the line's field name is {@code data}. */
  private static boolean isData(byte[] bytes, int offset, int count) {
    return count >= 4
        && bytes[offset] == 'd'
        && bytes[offset + 1] == 'a'
        && bytes[offset + 2] == 't'
        && bytes[offset + 3] == 'a'
        && (count == 4 || bytes[offset + 4] == COLON);
  }

  private void dispatch() {
    if (dataLength == 0) {
      return;
    }
    int data = dataLength - 1; // without the last LF
    dataLength = 0;
    length = 0;
    handler.onData(buffer, 0, data);
  }

  /** Refuses an event that needs more than {@code maxEventBytes}. */
  private void bound(int needed) {
    if (needed > maxEventBytes) {
      throw new LlmProtocolException(
          "LLM sent a server-sent event over the limit of " + maxEventBytes + " bytes", null);
    }
  }

  /** Grows the buffer to hold {@code needed} bytes (never beyond {@code maxEventBytes}). */
  private void room(int needed) {
    if (needed > buffer.length) {
      int capacity = (int) Math.min(maxEventBytes, Math.max(needed, 2L * buffer.length));
      buffer = Arrays.copyOf(buffer, capacity);
    }
  }
}
