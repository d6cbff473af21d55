package io.jindouyun.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Splits the chaos bench's chats by fault window and counts their outcomes per window.
 *
 * <p>A fault's window runs from {@code lead} before the fault (chats already in flight when it
 * struck) to {@code settle} after the component was healthy again. A chat belongs to the first
 * window that contains its start; a chat in none belongs to {@link #NO_FAULT}. A fault's row also
 * says when its failed handshakes started, relative to the kill (the window in which handshakes
 * failed). With an {@code after} span, each fault also gets an {@code after <fault>} row: the chats
 * that started within that span after its window (they count in {@link #NO_FAULT} as well). Pure
 * logic: no I/O.
 */
final class ChaosReport {

  static final String NO_FAULT = "no fault";
  static final String ALL = "all";

  /**
   * A fault as the script ran it: the kill at {@code startMs}, healthy again at {@code healthyMs}.
   */
  record Fault(String name, long startMs, long healthyMs) {

    /**
     * Parses the script's fault file: one line per fault, {@code name start-ms healthy-ms}
     * separated by blanks; blank lines and lines starting with {@code #} are skipped.
     */
    static List<Fault> parse(List<String> lines) {
      List<Fault> faults = new ArrayList<>();
      for (String line : lines) {
        String trimmed = line.strip();
        if (trimmed.isEmpty() || trimmed.startsWith("#")) {
          continue;
        }
        String[] parts = trimmed.split("\\s+");
        if (parts.length != 3) {
          throw new IllegalArgumentException("a fault line is 'name start-ms healthy-ms': " + line);
        }
        faults.add(new Fault(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2])));
      }
      return faults;
    }
  }

  /**
   * One window's figures. {@code ttftP99Ms} is NaN when no chat of the window had a first token.
   * {@code failingFromMs} and {@code failingToMs}: the starts of the window's first and last failed
   * handshakes, in ms after the fault's kill (negative: before it); both -1 in a row of no fault or
   * without a failed handshake.
   */
  record Row(
      String window,
      long fromMs,
      long toMs,
      int chats,
      Map<ChaosOutcome, Integer> outcomes,
      int reconnected,
      double ttftP99Ms,
      long failingFromMs,
      long failingToMs) {

    int count(ChaosOutcome outcome) {
      return outcomes.getOrDefault(outcome, 0);
    }
  }

  private ChaosReport() {}

  /** The rows: one per fault in its order, then {@link #NO_FAULT}, then {@link #ALL}. */
  static List<Row> rows(List<ChaosChat> chats, List<Fault> faults, long leadMs, long settleMs) {
    return rows(chats, faults, leadMs, settleMs, 0);
  }

  /**
   * As {@link #rows(List, List, long, long)}, with an {@code after <fault>} row after each fault's
   * row when {@code afterMs} is positive: the chats that started in the {@code afterMs} following
   * the fault's window.
   */
  static List<Row> rows(
      List<ChaosChat> chats, List<Fault> faults, long leadMs, long settleMs, long afterMs) {
    Map<String, List<ChaosChat>> byWindow = new LinkedHashMap<>();
    for (Fault fault : faults) {
      byWindow.put(fault.name(), new ArrayList<>());
    }
    List<ChaosChat> outside = new ArrayList<>();
    for (ChaosChat chat : chats) {
      Fault window = windowOf(chat.startMs(), faults, leadMs, settleMs);
      (window == null ? outside : byWindow.get(window.name())).add(chat);
    }
    List<Row> rows = new ArrayList<>();
    for (Fault fault : faults) {
      long end = fault.healthyMs() + settleMs;
      rows.add(row(fault.name(), fault.startMs() - leadMs, end, byWindow.get(fault.name()), fault));
      if (afterMs > 0) {
        List<ChaosChat> after =
            outside.stream()
                .filter(c -> c.startMs() > end && c.startMs() <= end + afterMs)
                .toList();
        rows.add(row("after " + fault.name(), end, end + afterMs, after, null));
      }
    }
    rows.add(row(NO_FAULT, -1, -1, outside, null));
    rows.add(row(ALL, -1, -1, chats, null));
    return rows;
  }

  /** The first fault whose window holds {@code startMs}, or null. */
  static Fault windowOf(long startMs, List<Fault> faults, long leadMs, long settleMs) {
    for (Fault fault : faults) {
      if (startMs >= fault.startMs() - leadMs && startMs <= fault.healthyMs() + settleMs) {
        return fault;
      }
    }
    return null;
  }

  /** The nearest-rank percentile (0-100) of {@code values}; NaN when there are none. */
  static double percentile(double[] values, double percentile) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    int rank = (int) Math.ceil(percentile / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }

  private static Row row(
      String window, long fromMs, long toMs, List<ChaosChat> chats, Fault fault) {
    Map<ChaosOutcome, Integer> outcomes = new EnumMap<>(ChaosOutcome.class);
    int reconnected = 0;
    List<Double> ttfts = new ArrayList<>();
    long failingFrom = Long.MAX_VALUE;
    long failingTo = Long.MIN_VALUE;
    for (ChaosChat chat : chats) {
      if (fault != null && chat.outcome() == ChaosOutcome.FAILED_HANDSHAKE) {
        failingFrom = Math.min(failingFrom, chat.startMs() - fault.startMs());
        failingTo = Math.max(failingTo, chat.startMs() - fault.startMs());
      }
      outcomes.merge(chat.outcome(), 1, Integer::sum);
      if (chat.reconnects() > 0) {
        reconnected++;
      }
      if (chat.ttftMs() >= 0) {
        ttfts.add(chat.ttftMs());
      }
    }
    double p99 = percentile(ttfts.stream().mapToDouble(Double::doubleValue).toArray(), 99);
    boolean failing = failingFrom != Long.MAX_VALUE;
    return new Row(
        window,
        fromMs,
        toMs,
        chats.size(),
        outcomes,
        reconnected,
        p99,
        failing ? failingFrom : -1,
        failing ? failingTo : -1);
  }

  /** The rows as a Markdown table. */
  static String markdown(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    out.append(
        "| window | chats | exact | lost | duplicated | garbled | failed handshakes |"
            + " handshakes failing (ms after the kill) | read again (Last-Event-ID) | TTFT p99 ms |\n");
    out.append("|---|---|---|---|---|---|---|---|---|---|\n");
    for (Row row : rows) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %d | %d | %d | %d | %d | %d | %s | %d | %s |%n",
              row.window(),
              row.chats(),
              row.count(ChaosOutcome.EXACT),
              row.count(ChaosOutcome.LOST),
              row.count(ChaosOutcome.DUPLICATED),
              row.count(ChaosOutcome.GARBLED),
              row.count(ChaosOutcome.FAILED_HANDSHAKE),
              row.failingFromMs() < 0 && row.failingToMs() < 0
                  ? "-"
                  : row.failingFromMs() + " to " + row.failingToMs(),
              row.reconnected(),
              Double.isNaN(row.ttftP99Ms())
                  ? "-"
                  : String.format(Locale.ROOT, "%.0f", row.ttftP99Ms())));
    }
    return out.toString();
  }
}
