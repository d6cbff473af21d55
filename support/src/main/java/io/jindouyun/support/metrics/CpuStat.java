package io.jindouyun.support.metrics;

/**
 * The CFS bandwidth counters of a cgroup's {@code cpu.stat} at one instant: how many enforcement
 * periods have elapsed and in how many of them the group was throttled. Both negative when the file
 * could not be read. Pure.
 *
 * @param periods {@code nr_periods}
 * @param throttled {@code nr_throttled}
 */
public record CpuStat(long periods, long throttled) {

  /** Not readable here (no cgroup cpu controller, not Linux, or a file without the counters). */
  public static final CpuStat UNKNOWN = new CpuStat(-1, -1);

  /** True when both counters were read. */
  public boolean known() {
    return periods >= 0 && throttled >= 0;
  }

  /**
   * Parses the text of a {@code cpu.stat} file, cgroup v1 ({@code nr_periods 12}, {@code
   * nr_throttled 3}, {@code throttled_time …}) or v2 (the same names beside {@code usage_usec} and
   * {@code throttled_usec}). {@link #UNKNOWN} when either counter is missing or not a number (a v2
   * group without the cpu controller has only the usage lines).
   */
  public static CpuStat parse(String text) {
    long periods = -1;
    long throttled = -1;
    for (String line : text.split("\n")) {
      String[] parts = line.trim().split("\\s+");
      if (parts.length != 2) {
        continue;
      }
      if (parts[0].equals("nr_periods")) {
        periods = number(parts[1]);
      } else if (parts[0].equals("nr_throttled")) {
        throttled = number(parts[1]);
      }
    }
    return periods >= 0 && throttled >= 0 ? new CpuStat(periods, throttled) : UNKNOWN;
  }

  private static long number(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
