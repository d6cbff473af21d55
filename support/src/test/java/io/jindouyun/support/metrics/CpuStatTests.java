package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuStatTests {

  @Test
  void readsTheCountersOfACgroupV1CpuStat() {
    String v1 =
        """
        nr_periods 1523
        nr_throttled 412
        throttled_time 98765432100
        nr_bursts 0
        burst_time 0
        """;

    assertThat(CpuStat.parse(v1)).isEqualTo(new CpuStat(1523, 412));
  }

  @Test
  void readsTheCountersOfACgroupV2CpuStat() {
    String v2 =
        """
        usage_usec 8251934
        user_usec 6120000
        system_usec 2131934
        core_sched.force_idle_usec 0
        nr_periods 300
        nr_throttled 75
        throttled_usec 1500000
        nr_bursts 0
        burst_usec 0
        """;

    assertThat(CpuStat.parse(v2)).isEqualTo(new CpuStat(300, 75));
  }

  @Test
  void aGroupWithoutBandwidthCountersIsUnknown() {
    String v2WithoutCpuController = "usage_usec 100\nuser_usec 60\nsystem_usec 40\n";

    assertThat(CpuStat.parse(v2WithoutCpuController)).isEqualTo(CpuStat.UNKNOWN);
    assertThat(CpuStat.parse("")).isEqualTo(CpuStat.UNKNOWN);
    assertThat(CpuStat.UNKNOWN.known()).isFalse();
  }

  @Test
  void aGarbledCounterMakesTheFileUnknown() {
    assertThat(CpuStat.parse("nr_periods many\nnr_throttled 3\n")).isEqualTo(CpuStat.UNKNOWN);
    assertThat(CpuStat.parse("nr_periods 10\nnr_throttled -3\n")).isEqualTo(CpuStat.UNKNOWN);
  }

  @Test
  void windowsLineEndsAndExtraSpacesAreTolerated() {
    assertThat(CpuStat.parse("nr_periods   10\r\n  nr_throttled\t2\r\n"))
        .isEqualTo(new CpuStat(10, 2));
  }
}
