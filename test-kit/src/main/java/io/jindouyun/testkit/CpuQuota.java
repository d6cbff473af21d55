package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cgroup v1 {@code cpu} group that caps the processes moved into it to a share of one core (CFS
 * quota per 100 ms period): real CPU starvation, as a noisy neighbour or a container limit causes.
 * {@link #close()} moves the processes back to the root group and removes the group.
 *
 * <p>Needs the v1 {@code cpu} controller mounted at {@code /sys/fs/cgroup/cpu} and writable (root);
 * {@link #available()} says whether it is. Not thread-safe: one test thread drives it.
 */
public final class CpuQuota implements AutoCloseable {

  private static final Path ROOT = Path.of("/sys/fs/cgroup/cpu");
  private static final long PERIOD_US = 100_000;
  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private final Path group;

  private CpuQuota(Path group) {
    this.group = group;
  }

  /** Whether a group can be made here (the v1 cpu controller is mounted and writable). */
  public static boolean available() {
    return Files.isWritable(ROOT.resolve("cgroup.procs"))
        && Files.isRegularFile(ROOT.resolve("cpu.cfs_quota_us"));
  }

  /** A new, unlimited group named after this JVM; nothing is in it yet. */
  public static CpuQuota create() {
    Path group =
        ROOT.resolve(
            "jdy-test-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
    try {
      Files.createDirectories(group);
      write(group.resolve("cpu.cfs_period_us"), Long.toString(PERIOD_US));
      write(group.resolve("cpu.cfs_quota_us"), "-1");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create cgroup " + group, e);
    }
    return new CpuQuota(group);
  }

  /** Moves process {@code pid} (all its threads) into this group. */
  public CpuQuota add(long pid) {
    write(group.resolve("cgroup.procs"), Long.toString(pid));
    return this;
  }

  /** Caps the group to {@code share} of one core (0.1 = 10 ms per 100 ms period). */
  public void limit(double share) {
    if (!(share > 0)) {
      throw new IllegalArgumentException("share must be > 0, got " + share);
    }
    write(
        group.resolve("cpu.cfs_quota_us"),
        Long.toString(Math.max(1_000, Math.round(PERIOD_US * share))));
  }

  /** Lifts the cap (the processes stay in the group). */
  public void unlimit() {
    write(group.resolve("cpu.cfs_quota_us"), "-1");
  }

  /** The periods in which the group was throttled so far ({@code nr_throttled} of cpu.stat). */
  public long throttledPeriods() {
    try {
      for (String line : Files.readAllLines(group.resolve("cpu.stat"))) {
        if (line.startsWith("nr_throttled ")) {
          return Long.parseLong(line.substring("nr_throttled ".length()).trim());
        }
      }
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Lifts the cap, moves every process back to the root group and removes the group. */
  @Override
  public void close() {
    try {
      unlimit();
      List<String> pids = Files.readAllLines(group.resolve("cgroup.procs"));
      for (String pid : pids) {
        if (!pid.isBlank()) {
          try {
            write(ROOT.resolve("cgroup.procs"), pid.trim());
          } catch (UncheckedIOException gone) {
            // the process ended meanwhile
          }
        }
      }
      Files.deleteIfExists(group);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove cgroup " + group, e);
    }
  }

  private static void write(Path file, String value) {
    try {
      Files.writeString(file, value, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + value + " to " + file, e);
    }
  }
}
