package io.jindouyun.support.metrics;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where this process's {@code cpu.stat} may be, worked out from the text of {@code
 * /proc/self/cgroup}. Pure: no file is read here.
 *
 * <p>Each line of {@code /proc/self/cgroup} is {@code hierarchy-id:controllers:path}. With cgroup
 * v1 the line whose controller list holds {@code cpu} names the group under the cpu controller's
 * mount, which is {@code <root>/cpu} or {@code <root>/cpu,cpuacct} (or {@code cpuacct,cpu})
 * depending on the distribution. With cgroup v2 the line {@code 0::path} names the group under the
 * unified mount: {@code <root>} itself, or {@code <root>/unified} on a hybrid host. Inside a
 * container the path may be the host's, while the mount shows the container's own group at its
 * root: so each mount's own {@code cpu.stat} is a candidate too, after the group's. The v1
 * candidates come first: on a hybrid host the v1 cpu controller is the one that throttles.
 */
public final class CgroupCpuFiles {

  private static final List<String> V1_MOUNTS = List.of("cpu", "cpu,cpuacct", "cpuacct,cpu");
  private static final List<String> V2_MOUNTS = List.of("", "unified");

  private CgroupCpuFiles() {}

  /** The {@code cpu.stat} files to try, best first; empty when the text names no cpu group. */
  public static List<Path> cpuStatCandidates(String procSelfCgroup, Path cgroupRoot) {
    List<Path> v1 = new ArrayList<>();
    List<Path> v2 = new ArrayList<>();
    for (String line : procSelfCgroup.split("\n")) {
      String[] parts = line.trim().split(":", 3);
      if (parts.length != 3 || !parts[2].startsWith("/")) {
        continue;
      }
      String group = parts[2].substring(1);
      if (parts[1].isEmpty() && parts[0].equals("0")) {
        for (String mount : V2_MOUNTS) {
          addGroupAndRoot(v2, cgroupRoot.resolve(mount), group);
        }
      } else if (Arrays.asList(parts[1].split(",")).contains("cpu")) {
        for (String mount : V1_MOUNTS) {
          addGroupAndRoot(v1, cgroupRoot.resolve(mount), group);
        }
      }
    }
    List<Path> all = new ArrayList<>(v1);
    all.addAll(v2);
    return all;
  }

  private static void addGroupAndRoot(List<Path> into, Path mount, String group) {
    into.add(mount.resolve(group).resolve("cpu.stat").normalize());
    if (!group.isEmpty()) {
      into.add(mount.resolve("cpu.stat"));
    }
  }
}
