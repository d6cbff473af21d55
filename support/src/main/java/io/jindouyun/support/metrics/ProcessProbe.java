package io.jindouyun.support.metrics;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads process and machine figures from the JVM's management beans, {@code /proc/self/status} and
 * the {@code cpu.stat} of this process's cgroup ({@link CgroupCpuFiles}). Thread-safe; each call
 * reads afresh (the cgroup too: a process can be moved to another group while it runs).
 */
public final class ProcessProbe {

  private static final Path STATUS = Path.of("/proc/self/status");
  private static final Path CGROUP = Path.of("/proc/self/cgroup");
  private static final Path CGROUP_ROOT = Path.of("/sys/fs/cgroup");

  private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final List<GarbageCollectorMXBean> collectors =
      ManagementFactory.getGarbageCollectorMXBeans();

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
        Runtime.getRuntime().availableProcessors(),
        GcPauses.millis(collectors),
        cpuStat());
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

  /** The first readable candidate's counters, {@link CpuStat#UNKNOWN} when none is. */
  private static CpuStat cpuStat() {
    try {
      String cgroups = Files.readString(CGROUP);
      for (Path file : CgroupCpuFiles.cpuStatCandidates(cgroups, CGROUP_ROOT)) {
        if (Files.isReadable(file)) {
          CpuStat stat = CpuStat.parse(Files.readString(file));
          if (stat.known()) {
            return stat;
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no cgroup file system: unknown
    }
    return CpuStat.UNKNOWN;
  }

  /** Parses {@code "VmRSS:\t 123456 kB"} to 123456. */
  static long parseKilobytes(String line) {
    String digits = line.replaceAll("[^0-9]", "");
    return Long.parseLong(digits);
  }
}
