package io.jindouyun.ipconfig.scoring;

import java.util.Locale;

/**
 * The series of an instance's recent windows (the fast window and the damping window, see {@link
 * InstanceStats}): what a chat's TTFT is predicted from, and the TTFT observed. A series gets no
 * value from a sample that does not know it (CPU or throttling unknown) or, for the averages that
 * are 0 when nothing happened (TTFT, handshake time, queue wait, upstream TTFT), from an idle
 * interval.
 */
public enum Signal {
  /**
   * Observed time to first token as a chat sees it, ms: the average TTFT plus the event-loop lag
   * ({@link MetricsSample#seenTtftMillis()}; intervals with chats only).
   */
  TTFT,
  /** Event-loop scheduling lag p99, ms. */
  LAG,
  /** Average handshake service time, ms (intervals with handshakes only). */
  HANDSHAKE,
  /** Handshakes in flight plus active streams. */
  LOAD,
  /** Share of CFS periods throttled, 0..1 (known only). */
  THROTTLED,
  /** GC pause, ms per second (known only). */
  GC,
  /** llm-consumer: average queue wait before the LLM call, ms (intervals with jobs only). */
  QUEUE_WAIT,
  /** llm-consumer: average upstream LLM TTFT, ms (intervals with calls only). */
  UPSTREAM_TTFT;

  private static final Signal[] VALUES = values();

  /** Number of signals; series index range of the recent windows. */
  public static final int COUNT = VALUES.length;

  /** Name as shown in the score explanation, e.g. {@code upstream_ttft}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The signal of ordinal {@code i}. */
  public static Signal of(int i) {
    return VALUES[i];
  }
}
