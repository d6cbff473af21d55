package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CgroupCpuFilesTests {

  private static final Path ROOT = Path.of("/sys/fs/cgroup");

  @Test
  void aCgroupV1ProcessLooksUnderEachCpuControllerMountFirst() {
    String hybrid =
        """
        12:memory:/user.slice
        4:cpu,cpuacct:/system.slice/gw-2.service
        1:name=systemd:/system.slice/gw-2.service
        0::/system.slice/gw-2.service
        """;

    assertThat(CgroupCpuFiles.cpuStatCandidates(hybrid, ROOT))
        .startsWith(
            Path.of("/sys/fs/cgroup/cpu/system.slice/gw-2.service/cpu.stat"),
            Path.of("/sys/fs/cgroup/cpu/cpu.stat"),
            Path.of("/sys/fs/cgroup/cpu,cpuacct/system.slice/gw-2.service/cpu.stat"))
        .contains(Path.of("/sys/fs/cgroup/cpuacct,cpu/system.slice/gw-2.service/cpu.stat"))
        .endsWith(
            Path.of("/sys/fs/cgroup/unified/system.slice/gw-2.service/cpu.stat"),
            Path.of("/sys/fs/cgroup/unified/cpu.stat"));
  }

  @Test
  void aSeparateCpuControllerIsFoundAndCpuacctAloneIsNot() {
    String separate = "2:cpuacct:/jdy\n1:cpu:/jdy/gw-2\n";

    assertThat(CgroupCpuFiles.cpuStatCandidates(separate, ROOT))
        .first()
        .isEqualTo(Path.of("/sys/fs/cgroup/cpu/jdy/gw-2/cpu.stat"));
    assertThat(CgroupCpuFiles.cpuStatCandidates("2:cpuacct:/jdy\n", ROOT)).isEmpty();
  }

  @Test
  void aCgroupV2ProcessLooksUnderTheUnifiedMount() {
    assertThat(CgroupCpuFiles.cpuStatCandidates("0::/user.slice/app.scope\n", ROOT))
        .containsExactly(
            Path.of("/sys/fs/cgroup/user.slice/app.scope/cpu.stat"),
            Path.of("/sys/fs/cgroup/cpu.stat"),
            Path.of("/sys/fs/cgroup/unified/user.slice/app.scope/cpu.stat"),
            Path.of("/sys/fs/cgroup/unified/cpu.stat"));
  }

  @Test
  void theRootGroupIsOneCandidatePerMount() {
    assertThat(CgroupCpuFiles.cpuStatCandidates("1:cpu:/\n", ROOT))
        .containsExactly(
            Path.of("/sys/fs/cgroup/cpu/cpu.stat"),
            Path.of("/sys/fs/cgroup/cpu,cpuacct/cpu.stat"),
            Path.of("/sys/fs/cgroup/cpuacct,cpu/cpu.stat"));
  }

  @Test
  void garbledLinesAreSkipped() {
    assertThat(CgroupCpuFiles.cpuStatCandidates("nonsense\n3:cpu\n\n4:cpu:relative\n", ROOT))
        .isEmpty();
  }
}
