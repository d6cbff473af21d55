package io.jindouyun.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.stream.GenerationClock;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.gateway.stream.StreamMapListener;
import io.jindouyun.gateway.stream.TestLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.ref.WeakReference;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

class GatewayMetricsTests {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final StreamMap streams =
      new StreamMap(
          TestLimits.small(),
          GenerationClock.system(),
          (delay, task) -> {},
          (streamId, generation, reason) -> {},
          StreamMapListener.NONE,
          System::nanoTime,
          System::currentTimeMillis);

  /**
   * The pending-timers supplier is usually a method reference made for the call (nothing else holds
   * it): the gauge must keep it, or after a garbage collection the gauge reads NaN.
   */
  @Test
  void thePendingTimersGaugeStillReadsAfterTheSupplierIsOnlyHeldByTheGauge() {
    AtomicLong timers = new AtomicLong(7);
    LongSupplier pending = timers::get; // like deadlines::pending: a new object, held by no one
    WeakReference<LongSupplier> watch = new WeakReference<>(pending);
    new GatewayMetrics(registry).bind(streams, pending);
    pending = null;
    timers = null;

    for (int i = 0; i < 5 && watch.get() != null; i++) {
      System.gc(); // the supplier can only be collected if the gauge holds it weakly
    }

    assertThat(registry.get("jdy.gateway.timers.pending").gauge().value()).isEqualTo(7.0);
    assertThat(registry.get("jdy.gateway.buffered.bytes").gauge().value()).isZero();
  }
}
