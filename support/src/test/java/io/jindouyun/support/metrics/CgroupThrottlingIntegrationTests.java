package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real CFS quota: a child JVM that keeps a core busy is moved into a cgroup v1 cpu group limited
 * to 10% of a core, and the {@code cpu_throttled} its own probe reports rises above 0. Skipped
 * where the cgroup v1 cpu controller is not mounted at {@code /sys/fs/cgroup/cpu} or not writable.
 */
@Timeout(60)
class CgroupThrottlingIntegrationTests {

  private static final Path CPU = Path.of("/sys/fs/cgroup/cpu");

  @TempDir Path dir;
  private Path group;
  private Process child;

  @AfterEach
  void cleanUp() throws Exception {
    if (child != null) {
      child.getOutputStream().close();
      child.destroyForcibly();
      child.waitFor(10, TimeUnit.SECONDS);
    }
    if (group != null) {
      // a cgroup directory is removed with rmdir once no process is left in it
      await().atMost(Duration.ofSeconds(10)).until(() -> tasks(group).isEmpty());
      Files.delete(group);
    }
  }

  @Test
  void aChildThrottledByACpuQuotaReportsAThrottledShare() throws Exception {
    assumeTrue(
        Files.isWritable(CPU) && Files.exists(CPU.resolve("cpu.cfs_quota_us")),
        "the cgroup v1 cpu controller is not writable here");
    group = CPU.resolve("jdy-throttle-test-" + ProcessHandle.current().pid());
    Files.createDirectories(group);
    write(group.resolve("cpu.cfs_period_us"), "100000");
    write(group.resolve("cpu.cfs_quota_us"), "10000");
    Path out = dir.resolve("child.out");
    child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                System.getProperty("java.class.path"),
                ThrottledChild.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> lines(out).stream().anyMatch(l -> l.startsWith("throttled ")));
    // in its first group, without a quota of its own, the share is readable: not negative
    assertThat(lines(out))
        .filteredOn(l -> l.startsWith("throttled "))
        .allMatch(l -> Double.parseDouble(l.substring(10)) >= 0);

    write(group.resolve("cgroup.procs"), Long.toString(child.pid()));

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () ->
                assertThat(lines(out))
                    .filteredOn(l -> l.startsWith("throttled "))
                    .anyMatch(l -> Double.parseDouble(l.substring(10)) > 0.5));
  }

  private static void write(Path file, String value) throws IOException {
    Files.writeString(file, value, StandardCharsets.US_ASCII);
  }

  private static List<String> lines(Path file) throws IOException {
    return Files.exists(file) ? Files.readAllLines(file) : List.of();
  }

  private static List<String> tasks(Path group) throws IOException {
    return Files.readAllLines(group.resolve("cgroup.procs")).stream()
        .filter(l -> !l.isBlank())
        .toList();
  }
}
