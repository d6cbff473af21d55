package io.jindouyun.ipconfig.scoring;

import java.util.Locale;

/**
 * The figures an instance is ranked by. For each, a lower value is better; {@link #key()} is the
 * name used in {@code ipconfig.yml} and in the score explanation.
 */
public enum Metric {
  /** Process CPU load, 0..1. */
  CPU,
  /** Heap used divided by heap max, 0..1. */
  MEMORY,
  /** Streams or requests in flight (the larger of the two). */
  INFLIGHT,
  /** Average time to first token, milliseconds. */
  TTFT,
  /** Errors divided by requests, from counter deltas between samples. */
  ERRORS;

  private static final Metric[] VALUES = values();

  /** Number of metrics; series index range of the windows. */
  public static final int COUNT = VALUES.length;

  /** Lower-case name as written in the config file. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The metric named {@code key} (case-insensitive), or an exception naming the valid keys. */
  public static Metric ofKey(String key) {
    for (Metric m : VALUES) {
      if (m.key().equalsIgnoreCase(key)) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "unknown metric '" + key + "', expected one of cpu, memory, inflight, ttft, errors");
  }
}
