package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

class GcPausesTests {

  @Test
  void stopTheWorldBeansCountAndConcurrentCycleBeansDoNot() {
    assertThat(GcPauses.counts("G1 Young Generation")).isTrue();
    assertThat(GcPauses.counts("G1 Old Generation")).isTrue();
    assertThat(GcPauses.counts("Copy")).isTrue();
    assertThat(GcPauses.counts("PS MarkSweep")).isTrue();
    assertThat(GcPauses.counts("ZGC Pauses")).isTrue();
    assertThat(GcPauses.counts("G1 Concurrent GC")).isFalse();
    assertThat(GcPauses.counts("ZGC Cycles")).isFalse();
    assertThat(GcPauses.counts("Shenandoah Cycles")).isFalse();
  }

  @Test
  void thisJvmReportsAPauseTotal() {
    assertThat(GcPauses.millis(ManagementFactory.getGarbageCollectorMXBeans()))
        .isGreaterThanOrEqualTo(0);
  }
}
