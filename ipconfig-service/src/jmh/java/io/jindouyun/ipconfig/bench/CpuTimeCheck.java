package io.jindouyun.ipconfig.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/**
 * The same operations as the JMH benchmarks, timed in thread CPU time instead of wall time, so that
 * figures taken on a busy shared machine are not inflated by the time the thread waits for a core.
 * Run: {@code mvn -Pjmh -pl ipconfig-service test-compile exec:exec
 * -Djmh.main=io.jindouyun.ipconfig.bench.CpuTimeCheck -Djmh.args=}
 */
public final class CpuTimeCheck {

  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static long sink;

  private CpuTimeCheck() {}

  public static void main(String[] args) {
    AddSampleBenchmark add = new AddSampleBenchmark();
    add.setUp();
    report("add: baseline (array write)", 20_000_000, () -> (long) add.baseline());
    report("add: one value, one window", 20_000_000, () -> add.window() ? 1 : 0);
    report("add: one snapshot (windows, no fit)", 5_000_000, () -> add.snapshot() ? 1 : 0);
    report("add: one observation into the fit", 5_000_000, () -> add.fit() ? 1 : 0);
    report("add: snapshot and fit", 5_000_000, () -> add.snapshotAndFit() ? 1 : 0);
    for (int n : new int[] {100, 1_000, 10_000}) {
      RecomputeBenchmark recompute = new RecomputeBenchmark();
      recompute.instances = n;
      recompute.setUp();
      int rounds = Math.max(50, 2_000_000 / n);
      report(
          "recompute baseline: sort " + n + " doubles",
          rounds,
          () -> recompute.baselineSort().length);
      report("recompute " + n + " instances", rounds, () -> recompute.recompute().size());
    }
    System.out.println("(sink " + sink + ")");
  }

  private static void report(String name, int ops, LongSupplier op) {
    for (int i = 0; i < ops; i++) {
      sink += op.getAsLong();
    }
    long best = Long.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      long start = THREADS.getCurrentThreadCpuTime();
      for (int i = 0; i < ops; i++) {
        sink += op.getAsLong();
      }
      best = Math.min(best, THREADS.getCurrentThreadCpuTime() - start);
    }
    System.out.printf(
        "%-45s %12.1f ns/op CPU (best of 3 x %d ops)%n", name, (double) best / ops, ops);
  }
}
