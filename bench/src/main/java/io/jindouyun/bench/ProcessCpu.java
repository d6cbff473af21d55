package io.jindouyun.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * CPU time of named processes (user + system) read from {@code /proc/<pid>/task/<tid>/stat}, plus
 * this process as {@code bench}, split by thread into the JIT compilers ({@code C1/C2
 * CompilerThread}), the garbage collector ({@code GC Thread}, {@code G1 …}, {@code ZGC …}, {@code
 * VM Thread}) and the rest (the work itself). Linux only; ticks are taken as 10 ms ({@code CLK_TCK}
 * 100, the Linux default). The total is the process's own ({@code /proc/<pid>/stat}, which keeps
 * the time of threads that have ended: a JVM ends compiler threads it no longer needs); the JIT and
 * GC parts are those of the threads alive at each snapshot (a part that shrank because its thread
 * ended counts as 0) and the work is the rest. Not thread-safe.
 */
final class ProcessCpu {

  private static final double MICROS_PER_TICK = 10_000.0;

  /** CPU ticks of one process by kind of thread. */
  record Ticks(long jit, long gc, long work) {
    long total() {
      return jit + gc + work;
    }
  }

  /** CPU ticks per process name at one moment (null for a process that could not be read). */
  record Snapshot(Map<String, Ticks> ticks) {}

  private final Map<String, Long> pids;

  ProcessCpu(Map<String, Long> pids) {
    this.pids = new LinkedHashMap<>(pids);
    this.pids.put("bench", ProcessHandle.current().pid());
  }

  /** {@code name=pid,name=pid}; empty text gives no processes. */
  static Map<String, Long> parsePids(String text) {
    Map<String, Long> pids = new LinkedHashMap<>();
    for (String pair : text.split(",")) {
      if (pair.isBlank()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--pids is name=pid,name=pid; got: " + pair);
      }
      pids.put(pair.substring(0, eq), Long.parseLong(pair.substring(eq + 1)));
    }
    return pids;
  }

  Snapshot snapshot() {
    Map<String, Ticks> ticks = new LinkedHashMap<>();
    pids.forEach((name, pid) -> ticks.put(name, ticks(pid)));
    return new Snapshot(ticks);
  }

  /**
   * The ticks of the process's threads by kind, plus those of its child processes (nginx workers
   * under the master); null when the process cannot be read.
   */
  static Ticks ticks(long pid) {
    Ticks own = ownTicks(pid);
    if (own == null) {
      return null;
    }
    try {
      String children =
          Files.readString(
              Path.of("/proc", Long.toString(pid), "task", Long.toString(pid), "children"));
      for (String child : children.trim().split("\\s+")) {
        if (!child.isEmpty()) {
          Ticks c = ticks(Long.parseLong(child));
          if (c != null) {
            own = new Ticks(own.jit() + c.jit(), own.gc() + c.gc(), own.work() + c.work());
          }
        }
      }
    } catch (IOException e) {
      // no children file: own threads only
    }
    return own;
  }

  private static Ticks ownTicks(long pid) {
    long jit = 0;
    long gc = 0;
    long total;
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      total = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (IOException | RuntimeException e) {
      return null;
    }
    try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (IOException e) {
          continue; // the thread ended
        }
        int open = stat.indexOf('(');
        int close = stat.lastIndexOf(')');
        String name = stat.substring(open + 1, close);
        String[] fields = stat.substring(close + 2).split(" ");
        long t = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        if (name.contains("CompilerThre")) {
          jit += t;
        } else if (name.startsWith("GC Thread")
            || name.startsWith("G1 ")
            || name.startsWith("ZWorker")
            || name.startsWith("ZDriver")
            || name.equals("VM Thread")) {
          gc += t;
        }
      }
      return new Ticks(jit, gc, Math.max(0, total - jit - gc));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * A Markdown table: per process, µs of CPU per delivered chunk in each phase, in all and split
   * into work / JIT / GC.
   */
  String table(Snapshot before, Snapshot between, Snapshot after, long directChunks, long chunks) {
    return table(before, between, after, directChunks, chunks, "chunk");
  }

  /** As above, per delivered {@code unit} (e.g. "token"), of which each path delivered so many. */
  String table(
      Snapshot before,
      Snapshot between,
      Snapshot after,
      long directChunks,
      long chunks,
      String unit) {
    StringBuilder out =
        new StringBuilder(
            "| process | direct µs/"
                + unit
                + " (work / JIT / GC) | suite µs/"
                + unit
                + " (work / JIT / GC) |\n"
                + "|---|---|---|\n");
    double[] directAll = new double[4];
    double[] suiteAll = new double[4];
    for (String name : pids.keySet()) {
      double[] direct = perChunk(before, between, name, directChunks);
      double[] suite = perChunk(between, after, name, chunks);
      for (int i = 0; i < 4; i++) {
        directAll[i] += direct[i];
        suiteAll[i] += suite[i];
      }
      out.append("| ").append(name).append(" | ").append(cell(direct)).append(" | ");
      out.append(cell(suite)).append(" |\n");
    }
    out.append("| all | ").append(cell(directAll)).append(" | ").append(cell(suiteAll));
    return out.append(" |").toString();
  }

  private static String cell(double[] v) {
    return String.format(Locale.ROOT, "%.0f (%.0f / %.0f / %.0f)", v[0], v[1], v[2], v[3]);
  }

  /** {total, work, jit, gc} in µs per chunk; NaN when a snapshot is missing. */
  private static double[] perChunk(Snapshot from, Snapshot to, String name, long chunks) {
    Ticks a = from.ticks().get(name);
    Ticks b = to.ticks().get(name);
    if (a == null || b == null || chunks == 0) {
      return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
    }
    double k = MICROS_PER_TICK / chunks;
    long total = b.total() - a.total();
    long jit = Math.max(0, b.jit() - a.jit());
    long gc = Math.max(0, b.gc() - a.gc());
    return new double[] {total * k, (total - jit - gc) * k, jit * k, gc * k};
  }
}
