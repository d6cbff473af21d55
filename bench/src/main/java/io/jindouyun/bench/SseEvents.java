package io.jindouyun.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a text/event-stream into events, across arbitrary network chunk boundaries.
 *
 * <p>Not thread-safe: one instance per stream, fed from that stream's thread.
 */
final class SseEvents {

  /** One event: its name ({@code message} when none), id (may be null) and joined data lines. */
  record Event(String name, String id, String data) {}

  private final StringBuilder pending = new StringBuilder();

  /** Feeds a piece of the stream; returns the events it completed. */
  List<Event> feed(String piece) {
    pending.append(piece);
    List<Event> events = new ArrayList<>();
    int end;
    while ((end = boundary()) >= 0) {
      String block = pending.substring(0, end);
      int skip = pending.charAt(end) == '\r' ? 4 : 2;
      pending.delete(0, Math.min(pending.length(), end + skip));
      Event event = parse(block);
      if (event != null) {
        events.add(event);
      }
    }
    return events;
  }

  private int boundary() {
    int lf = pending.indexOf("\n\n");
    int crlf = pending.indexOf("\r\n\r\n");
    if (lf < 0) {
      return crlf;
    }
    return crlf < 0 ? lf : Math.min(lf, crlf);
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
