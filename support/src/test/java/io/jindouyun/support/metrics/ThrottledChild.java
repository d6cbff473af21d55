package io.jindouyun.support.metrics;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;

/**
 * The child process of {@link CgroupThrottlingIntegrationTests}: keeps one core busy and prints,
 * every 300 ms, the {@code cpu_throttled} of a snapshot over the last 300 ms, measured by its own
 * {@link ProcessProbe} as a backend measures it. Ends when its parent closes its standard input, or
 * after a minute.
 */
final class ThrottledChild {

  private ThrottledChild() {}

  public static void main(String[] args) throws Exception {
    Thread spinner =
        new Thread(
            () -> {
              long x = 0;
              while (!Thread.currentThread().isInterrupted()) {
                x += System.nanoTime() % 7;
              }
              System.out.println("spun " + x);
            },
            "spinner");
    spinner.setDaemon(true);
    spinner.start();
    Thread watchdog =
        new Thread(
            () -> {
              try {
                while (System.in.read() >= 0) {
                  // until the parent closes the pipe
                }
              } catch (java.io.IOException e) {
                // parent gone
              }
              System.exit(0);
            },
            "stdin-watchdog");
    watchdog.setDaemon(true);
    watchdog.start();
    ProcessProbe probe = new ProcessProbe();
    Sample previous = null;
    long end = System.nanoTime() + 60_000_000_000L;
    System.out.println("ready " + ProcessHandle.current().pid());
    while (System.nanoTime() < end) {
      Sample now =
          new Sample(System.nanoTime(), System.currentTimeMillis(), MeterTotals.ZERO, probe.read());
      MetricsSnapshot s = SnapshotCalculator.compute(previous, now, "child", "child");
      System.out.println("throttled " + s.getCpuThrottled());
      System.out.flush();
      previous = now;
      Thread.sleep(300);
    }
  }
}
