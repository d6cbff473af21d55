package io.jindouyun.support.metrics;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads process and machine figures from the JVM's management beans and {@code /proc/self/status}.
 * Thread-safe; each call reads afresh.
 */
public final class ProcessProbe {

  private static final Path STATUS = Path.of("/proc/self/status");

  private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

  /** The figures now. */
  public ProcessFigures read() {
    long cpuTime = -1;
    double processLoad = -1;
    double systemLoad = -1;
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      cpuTime = sun.getProcessCpuTime();
      processLoad = sun.getProcessCpuLoad();
      systemLoad = sun.getCpuLoad();
    }
    MemoryUsage heap = memory.getHeapMemoryUsage();
    long heapMax = heap.getMax() > 0 ? heap.getMax() : heap.getCommitted();
    return new ProcessFigures(
        cpuTime,
        processLoad,
        systemLoad,
        heap.getUsed(),
        heapMax,
        rss(heap),
        Runtime.getRuntime().availableProcessors());
  }

  private long rss(MemoryUsage heap) {
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmRSS:")) {
          return parseKilobytes(line) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc unreadable: fall back below
    }
    return heap.getCommitted() + memory.getNonHeapMemoryUsage().getCommitted();
  }

  /** Parses {@code "VmRSS:\t 123456 kB"} to 123456. */
  static long parseKilobytes(String line) {
    String digits = line.replaceAll("[^0-9]", "");
    return Long.parseLong(digits);
  }
}
