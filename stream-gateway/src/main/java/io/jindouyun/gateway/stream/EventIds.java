package io.jindouyun.gateway.stream;

/** SSE event ids of chunks: {@code <generation>.<seq>}. */
public final class EventIds {

  private EventIds() {}

  /** The seq in {@code id} if it names a chunk of {@code generation}, else -1. */
  public static long seqOf(String id, long generation) {
    int dot = id.indexOf('.');
    if (dot <= 0 || dot == id.length() - 1) {
      return -1;
    }
    try {
      long g = Long.parseLong(id, 0, dot, 10);
      long seq = Long.parseLong(id, dot + 1, id.length(), 10);
      return g == generation && seq >= 0 ? seq : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
