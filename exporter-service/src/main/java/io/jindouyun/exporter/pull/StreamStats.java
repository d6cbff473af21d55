package io.jindouyun.exporter.pull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/** The exporter's own counters about its streams. Thread-safe. */
final class StreamStats {

  private final Counter opened;
  private final Counter failed;
  private final Counter hung;

  StreamStats(MeterRegistry registry) {
    opened = registry.counter("jdy.exporter.streams.opened");
    failed = registry.counter("jdy.exporter.streams.failures", "reason", "error");
    hung = registry.counter("jdy.exporter.streams.failures", "reason", "idle");
  }

  void opened() {
    opened.increment();
  }

  void failed(boolean idle) {
    (idle ? hung : failed).increment();
  }
}
