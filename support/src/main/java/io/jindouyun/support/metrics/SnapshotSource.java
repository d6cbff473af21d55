package io.jindouyun.support.metrics;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;

/**
 * Takes {@link Sample}s from a meter registry and the process, and turns pairs of them into
 * snapshots for one service instance. Thread-safe; keeps no interval state (callers keep their
 * previous sample).
 */
public final class SnapshotSource {

  private final MeterRegistry registry;
  private final ProcessProbe probe;
  private final Supplier<String> service;
  private final Supplier<String> instanceId;

  public SnapshotSource(
      MeterRegistry registry,
      ProcessProbe probe,
      Supplier<String> service,
      Supplier<String> instanceId) {
    this.registry = registry;
    this.probe = probe;
    this.service = service;
    this.instanceId = instanceId;
  }

  /** A sample now. */
  public Sample sample() {
    return new Sample(
        System.nanoTime(),
        System.currentTimeMillis(),
        MeterTotalsReader.read(registry),
        probe.read());
  }

  /** The snapshot of {@code (previous, current]}; previous may be null. */
  public MetricsSnapshot snapshot(Sample previous, Sample current) {
    return SnapshotCalculator.compute(previous, current, service.get(), instanceId.get());
  }
}
