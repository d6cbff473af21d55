package io.jindouyun.bench;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What one round of the routing bench measured through one front door, and the tables of a run.
 *
 * <p>TTFT percentiles and gateway shares are over the chats sent while the fault lasted (for the
 * scenario {@code none}, the same stretch of the round); errors and wrong text over the whole
 * round. The time below half fair share is measured in {@code none} too, on the healthy victim: how
 * soon chance alone crosses that line (the control for the faulted rounds). Ratios compare a door's
 * p99 with that of the doors named {@value #ROUND_ROBIN} and {@value #LEAST_CONN} in the same load
 * and scenario. Immutable.
 */
record RoutingRow(
    String door,
    String scenario,
    double load,
    double rate,
    int chats,
    int errors,
    int wrongText,
    double p50Ms,
    double p99Ms,
    double p999Ms,
    double recoveryP99Ms,
    Map<String, Double> shares,
    double maxShareDeviation,
    double belowHalfMs,
    double backMs) {

  static final String ROUND_ROBIN = "rr";
  static final String LEAST_CONN = "lc";

  /** The relative band around fair share that counts as "back". */
  static final double BACK_TOLERANCE = 0.2;

  static RoutingRow of(
      String door,
      String scenario,
      double load,
      double rate,
      OpenLoopChats.Round round,
      List<String> gateways,
      String victim,
      long windowNanos,
      long holdNanos,
      int minCount) {
    boolean faulted = !"none".equals(scenario);
    long from = round.faultStartNanos();
    long to = round.faultEndNanos();
    LatencyStats fault = new LatencyStats();
    LatencyStats recovery = new LatencyStats();
    int errors = 0;
    int wrong = 0;
    List<HandshakeShares.Handshake> handshakes = new ArrayList<>();
    for (OpenLoopChats.Chat chat : round.chats()) {
      errors += chat.error() != null ? 1 : 0;
      wrong += chat.wrongText() ? 1 : 0;
      handshakes.add(new HandshakeShares.Handshake(chat.sentNanos(), chat.gateway()));
      if (chat.ttftNanos() < 0) {
        continue;
      }
      if (chat.sentNanos() >= from && chat.sentNanos() < to) {
        fault.recordNanos(chat.ttftNanos());
      } else if (chat.sentNanos() >= to) {
        recovery.recordNanos(chat.ttftNanos());
      }
    }
    HandshakeShares shares = new HandshakeShares(handshakes);
    Map<String, Double> share = shares.shares(gateways, from, to);
    double fair = 1.0 / gateways.size();
    double deviation =
        share.values().stream().mapToDouble(s -> Math.abs(s - fair) / fair).max().orElse(0);
    // a window long enough to expect minCount handshakes at this rate
    long enough = (long) Math.ceil(minCount / rate * 1e9);
    double below =
        millis(
            shares.timeBelow(victim, fair / 2, from, to, Math.max(windowNanos, enough), minCount));
    double back = Double.NaN;
    if (faulted) {
      back =
          millis(
              shares.timeBack(
                  victim,
                  fair,
                  BACK_TOLERANCE,
                  to,
                  round.endNanos(),
                  Math.max(holdNanos, enough),
                  minCount));
    }
    return new RoutingRow(
        door,
        scenario,
        load,
        rate,
        round.chats().size(),
        errors,
        wrong,
        fault.millisAt(50),
        fault.millisAt(99),
        fault.millisAt(99.9),
        recovery.millisAt(99),
        share,
        deviation,
        below,
        back);
  }

  /** Milliseconds, or infinity for "never" (NaN stays for "not measured"). */
  private static double millis(OptionalLong nanos) {
    return nanos.isPresent() ? nanos.getAsLong() / 1e6 : Double.POSITIVE_INFINITY;
  }

  /** One line for the console as the round ends. */
  String line() {
    return String.format(
        Locale.ROOT,
        "%s load %.0f%% (%.1f/s), %s: %d chats, %d errors, %d wrong, TTFT p50/p99/p99.9 %.0f/%.0f/%.0f ms, shares %s, below half %s, back %s",
        scenario,
        load * 100,
        rate,
        door,
        chats,
        errors,
        wrongText,
        p50Ms,
        p99Ms,
        p999Ms,
        percents(),
        time(belowHalfMs),
        time(backMs));
  }

  private String percents() {
    StringBuilder text = new StringBuilder();
    shares.values().forEach(s -> text.append(text.isEmpty() ? "" : " / ").append(pct(s)));
    return text.toString();
  }

  private static String pct(double share) {
    return String.format(Locale.ROOT, "%.0f", share * 100);
  }

  private static String time(double ms) {
    if (Double.isNaN(ms)) {
      return "—";
    }
    return Double.isInfinite(ms) ? "never" : String.format(Locale.ROOT, "%.1f s", ms / 1000);
  }

  private static String ms(double ms) {
    return Double.isNaN(ms) ? "—" : String.format(Locale.ROOT, "%,.0f", ms);
  }

  private static String ratio(double a, double b) {
    return Double.isNaN(a) || Double.isNaN(b) || b == 0
        ? "—"
        : String.format(Locale.ROOT, "%.2f", a / b);
  }

  /** The p99 of the door named {@code door} in the same load and scenario (NaN when absent). */
  private static double p99Of(List<RoutingRow> rows, RoutingRow like, String door) {
    return rows.stream()
        .filter(r -> r.door.equals(door) && r.scenario.equals(like.scenario) && r.load == like.load)
        .mapToDouble(RoutingRow::p99Ms)
        .findFirst()
        .orElse(Double.NaN);
  }

  /** Rows by load, then scenario (in the order first run), then door (in the order first run). */
  private static List<RoutingRow> sorted(List<RoutingRow> rows) {
    List<String> scenarios = rows.stream().map(RoutingRow::scenario).distinct().toList();
    List<String> doors = rows.stream().map(RoutingRow::door).distinct().toList();
    return rows.stream()
        .sorted(
            Comparator.comparingDouble(RoutingRow::load)
                .thenComparingInt(r -> scenarios.indexOf(r.scenario))
                .thenComparingInt(r -> doors.indexOf(r.door)))
        .toList();
  }

  /** A Markdown table of the run, ready to paste. */
  static String markdown(List<RoutingRow> rows, List<String> gateways, String victim) {
    StringBuilder md = new StringBuilder();
    md.append("| load | scenario | front door | chats | errors | wrong text |")
        .append(" TTFT p50 / p99 / p99.9 ms | p99 ÷ rr | p99 ÷ lc | share % ")
        .append(
            String.join(" / ", gateways.stream().map(g -> g.equals(victim) ? g + "*" : g).toList()))
        .append(" | max share off fair | sick < ½ fair after | back within 20% after |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (RoutingRow r : sorted(rows)) {
      md.append(
          String.format(
              Locale.ROOT,
              "| %.0f%% (%.1f/s) | %s | %s | %d | %d | %d | %s / %s / %s | %s | %s | %s | %.0f%% | %s | %s |%n",
              r.load * 100,
              r.rate,
              r.scenario,
              r.door,
              r.chats,
              r.errors,
              r.wrongText,
              ms(r.p50Ms),
              ms(r.p99Ms),
              ms(r.p999Ms),
              ratio(r.p99Ms, p99Of(rows, r, ROUND_ROBIN)),
              ratio(r.p99Ms, p99Of(rows, r, LEAST_CONN)),
              r.percents(),
              r.maxShareDeviation * 100,
              time(r.belowHalfMs),
              time(r.backMs)));
    }
    return md.toString();
  }

  /** The rows as CSV, one column per gateway's share; an empty cell: not measured. */
  static String csv(List<RoutingRow> rows, List<String> gateways) {
    StringBuilder csv =
        new StringBuilder(
            "load,rate,scenario,door,chats,errors,wrong_text,ttft_p50_ms,ttft_p99_ms,"
                + "ttft_p999_ms,recovery_ttft_p99_ms,p99_over_rr,p99_over_lc,");
    gateways.forEach(g -> csv.append("share_").append(g).append(','));
    csv.append("max_share_deviation,below_half_ms,back_ms\n");
    for (RoutingRow r : sorted(rows)) {
      csv.append(
          String.format(
              Locale.ROOT,
              "%.2f,%.2f,%s,%s,%d,%d,%d,",
              r.load,
              r.rate,
              r.scenario,
              r.door,
              r.chats,
              r.errors,
              r.wrongText));
      for (double value :
          new double[] {
            r.p50Ms,
            r.p99Ms,
            r.p999Ms,
            r.recoveryP99Ms,
            r.p99Ms / p99Of(rows, r, ROUND_ROBIN),
            r.p99Ms / p99Of(rows, r, LEAST_CONN)
          }) {
        csv.append(Double.isFinite(value) ? String.format(Locale.ROOT, "%.3f", value) : "")
            .append(',');
      }
      gateways.forEach(
          g -> csv.append(String.format(Locale.ROOT, "%.4f,", r.shares.getOrDefault(g, 0.0))));
      csv.append(String.format(Locale.ROOT, "%.4f,", r.maxShareDeviation))
          .append(csvTime(r.belowHalfMs))
          .append(',')
          .append(csvTime(r.backMs))
          .append('\n');
    }
    return csv.toString();
  }

  /** Milliseconds; empty: not measured; -1: never. */
  private static String csvTime(double ms) {
    if (Double.isNaN(ms)) {
      return "";
    }
    return Double.isInfinite(ms) ? "-1" : String.format(Locale.ROOT, "%.0f", ms);
  }

  /** The rows as maps for JSON (times in ms; null: not measured; -1: never). */
  static List<Map<String, Object>> maps(List<RoutingRow> rows) {
    List<Map<String, Object>> maps = new ArrayList<>();
    for (RoutingRow r : sorted(rows)) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("load", r.load);
      m.put("rate", r.rate);
      m.put("scenario", r.scenario);
      m.put("door", r.door);
      m.put("chats", r.chats);
      m.put("errors", r.errors);
      m.put("wrongText", r.wrongText);
      m.put("ttftP50Ms", finite(r.p50Ms));
      m.put("ttftP99Ms", finite(r.p99Ms));
      m.put("ttftP999Ms", finite(r.p999Ms));
      m.put("recoveryTtftP99Ms", finite(r.recoveryP99Ms));
      m.put("p99OverRoundRobin", finite(r.p99Ms / p99Of(rows, r, ROUND_ROBIN)));
      m.put("p99OverLeastConn", finite(r.p99Ms / p99Of(rows, r, LEAST_CONN)));
      m.put("shares", r.shares);
      m.put("maxShareDeviation", r.maxShareDeviation);
      m.put("belowHalfFairMs", never(r.belowHalfMs));
      m.put("backWithinToleranceMs", never(r.backMs));
      maps.add(m);
    }
    return maps;
  }

  private static Double finite(double value) {
    return Double.isFinite(value) ? value : null;
  }

  private static Double never(double ms) {
    return Double.isNaN(ms) ? null : Double.isInfinite(ms) ? -1.0 : ms;
  }
}
