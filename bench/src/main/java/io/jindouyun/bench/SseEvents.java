package io.jindouyun.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a text/event-stream into events, across arbitrary network chunk boundaries.
 *
 * <p>Works on bytes and decodes UTF-8 only once an event is complete, so a character whose bytes
 * arrive in two network chunks is never split. Not thread-safe: one instance per stream, fed from
 * that stream's thread.
 */
final class SseEvents {

  /** One event: its name ({@code message} when none), id (may be null) and joined data lines. */
  record Event(String name, String id, String data) {}

  private byte[] pending = new byte[256];
  private int length;

  /** Feeds a piece of the stream; returns the events it completed. */
  List<Event> feed(byte[] piece) {
    if (length + piece.length > pending.length) {
      byte[] bigger = new byte[Math.max(pending.length * 2, length + piece.length)];
      System.arraycopy(pending, 0, bigger, 0, length);
      pending = bigger;
    }
    System.arraycopy(piece, 0, pending, length, piece.length);
    length += piece.length;
    List<Event> events = new ArrayList<>();
    int start = 0;
    int end;
    while ((end = boundary(start)) >= 0) {
      String block = new String(pending, start, end - start, StandardCharsets.UTF_8);
      start = end + (pending[end] == '\r' ? 4 : 2);
      Event event = parse(block);
      if (event != null) {
        events.add(event);
      }
    }
    System.arraycopy(pending, start, pending, 0, length - start);
    length -= start;
    return events;
  }

  /** Feeds a piece given as text (tests). */
  List<Event> feed(String piece) {
    return feed(piece.getBytes(StandardCharsets.UTF_8));
  }

  /** The index of the first blank line ({@code \n\n} or {@code \r\n\r\n}) at or after start. */
  private int boundary(int start) {
    for (int i = start; i + 1 < length; i++) {
      if (pending[i] == '\n' && pending[i + 1] == '\n') {
        return i;
      }
      if (i + 3 < length
          && pending[i] == '\r'
          && pending[i + 1] == '\n'
          && pending[i + 2] == '\r'
          && pending[i + 3] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private static Event parse(String block) {
    String name = "message";
    String id = null;
    StringBuilder data = null;
    for (String line : block.split("\r?\n")) {
      if (line.isEmpty() || line.startsWith(":")) {
        continue;
      }
      int colon = line.indexOf(':');
      String field = colon < 0 ? line : line.substring(0, colon);
      String value = colon < 0 ? "" : line.substring(colon + 1);
      if (value.startsWith(" ")) {
        value = value.substring(1);
      }
      switch (field) {
        case "event" -> name = value;
        case "id" -> id = value;
        case "data" -> {
          if (data == null) {
            data = new StringBuilder(value);
          } else {
            data.append('\n').append(value);
          }
        }
        default -> {}
      }
    }
    return data == null && id == null && "message".equals(name)
        ? null
        : new Event(name, id, data == null ? "" : data.toString());
  }
}
