package io.jindouyun.gateway.stream;

import java.util.Arrays;

/**
 * The text of one generation's answer: the chunks' deltas appended to a few growing strings
 * (segments) plus, per seq, its end offset and its lag behind the generation's creation, so no
 * object is kept per chunk.
 *
 * <p>Segments. A segment grows as a {@code StringBuilder} does, from the first delta's length; once
 * the next delta would take it past {@link #SEGMENT_CHARS}, it is trimmed to its length and the
 * delta starts a new one. A delta never spans two segments. So no array of a long answer reaches
 * the size at which G1 allocates it as a humongous object (half a region, 512 KB with the 1 MB
 * regions of a heap under 2 GB), which would take a whole region for it, and growing a long answer
 * copies at most one segment.
 *
 * <p>It knows the heap it holds ({@link #heapBytes()}): its arrays by their capacity, not their
 * length, and each segment's array at one byte per char while its chars are all Latin-1 (compact
 * strings) and two from the first char that is not.
 *
 * <p>Concurrency: not thread-safe; its {@link Generation} creates it with the first chunk and uses
 * it only under its own monitor.
 */
final class AnswerText {

  /** Chars a segment may grow to before the next delta starts a new one: 128 KB in UTF-16. */
  static final int SEGMENT_CHARS = 64 * 1024;

  /**
   * This object, with compressed class pointers and oops (a heap under 32 GB): 12-byte headers,
   * 4-byte references, 8-byte alignment.
   */
  static final long SHALLOW_BYTES = 48;

  /** One {@code StringBuilder} object, without its array. */
  static final long BUILDER_BYTES = 24;

  /** Header and length of an array. */
  static final long ARRAY_HEADER_BYTES = 16;

  private StringBuilder current;
  private boolean currentLatin1 = true;
  private StringBuilder[] segments = new StringBuilder[1]; // segments[0 .. segmentCount-1]
  private int[] segmentStarts = new int[1]; // global offset of each segment's first char
  private int segmentCount;
  private long closedHeap; // heap of the trimmed segments before current
  private int length; // chars in all segments
  private int[] ends = new int[8];
  private int[] lags = new int[8];
  private int count;
  private long bytes;

  /** An empty text sized for a first delta of {@code firstLength} chars. */
  AnswerText(int firstLength) {
    startSegment(firstLength);
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
    long currentArray = (long) current.capacity() << (currentLatin1 ? 0 : 1);
    return SHALLOW_BYTES
        + array(4L * segments.length)
        + array(4L * segmentStarts.length)
        + closedHeap
        + BUILDER_BYTES
        + array(currentArray)
        + 2 * array(4L * ends.length);
  }

  /** Appends the next chunk: {@code delta} of {@code size} UTF-8 bytes, {@code lagMillis} late. */
  void append(String delta, long size, long lagMillis) {
    if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
      lags = Arrays.copyOf(lags, count * 2);
    }
    if (!delta.isEmpty()
        && current.length() > 0
        && current.length() + delta.length() > SEGMENT_CHARS) {
      current.trimToSize();
      closedHeap += BUILDER_BYTES + array((long) current.capacity() << (currentLatin1 ? 0 : 1));
      startSegment(delta.length());
    }
    if (currentLatin1) {
      currentLatin1 = isLatin1(delta);
    }
    current.append(delta);
    length += delta.length();
    ends[count] = length;
    lags[count] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, lagMillis));
    count++;
    bytes += size;
  }

  /** The delta of chunk {@code seq}. */
  String delta(int seq) {
    int start = seq == 0 ? 0 : ends[seq - 1];
    int end = ends[seq];
    int s = segmentOf(start);
    int base = segmentStarts[s];
    return segments[s].substring(start - base, end - base);
  }

  /** How late chunk {@code seq} was, in milliseconds after the generation's creation. */
  int lagMillis(int seq) {
    return lags[seq];
  }

  /** Segments held (for tests). */
  int segments() {
    return segmentCount;
  }

  /** The heap of an array whose elements take {@code payload} bytes, aligned to 8. */
  static long array(long payload) {
    return (ARRAY_HEADER_BYTES + payload + 7) & ~7L;
  }

  private void startSegment(int firstLength) {
    if (segmentCount == segments.length) {
      segments = Arrays.copyOf(segments, segmentCount * 2);
      segmentStarts = Arrays.copyOf(segmentStarts, segmentCount * 2);
    }
    current = new StringBuilder(Math.max(16, firstLength));
    currentLatin1 = true;
    segments[segmentCount] = current;
    segmentStarts[segmentCount] = length;
    segmentCount++;
  }

  /**
   * The segment holding a chunk that starts at {@code start}: the last one starting at or before
   * it. (An empty chunk at a segment's end may be looked up in the next one: it is empty there
   * too.)
   */
  private int segmentOf(int start) {
    int i = Arrays.binarySearch(segmentStarts, 0, segmentCount, start);
    return i >= 0 ? i : -i - 2;
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
