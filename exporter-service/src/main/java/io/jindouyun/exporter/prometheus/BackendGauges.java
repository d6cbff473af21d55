package io.jindouyun.exporter.prometheus;

import io.jindouyun.exporter.pull.SnapshotStore;
import io.jindouyun.exporter.target.Target;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The figures of every target as gauges labelled {@code service} and {@code instance} (e.g. {@code
 * jdy_backend_active_streams{service="stream-gateway",instance="gw-1"}}), read from the {@link
 * SnapshotStore} at scrape time. A target's series are registered when it appears and removed when
 * it is gone. {@code jdy_backend_up} is 1 while its stream delivers. Before a target's first
 * snapshot its figures read NaN; a figure the backend reports as unknown (a negative event-loop
 * lag, throttled share or GC pause rate) is passed on as it is.
 *
 * <p>Concurrency: {@link #update} runs on the exporter's executor; the gauges are read by scrapes.
 */
public final class BackendGauges {

  private record Figure(String name, String unit, ToDoubleFunction<MetricsSnapshot> value) {}

  private static final List<Figure> FIGURES =
      List.of(
          new Figure("jdy.backend.process.cpu", null, MetricsSnapshot::getProcessCpu),
          new Figure("jdy.backend.system.cpu", null, MetricsSnapshot::getSystemCpu),
          new Figure("jdy.backend.heap.used", "bytes", s -> s.getHeapUsedBytes()),
          new Figure("jdy.backend.heap.max", "bytes", s -> s.getHeapMaxBytes()),
          new Figure("jdy.backend.rss", "bytes", s -> s.getRssBytes()),
          new Figure("jdy.backend.processors", null, s -> s.getProcessors()),
          new Figure("jdy.backend.requests", null, s -> s.getRequestsTotal()),
          new Figure("jdy.backend.requests.in.flight", null, s -> s.getRequestsInFlight()),
          new Figure("jdy.backend.active.streams", null, s -> s.getActiveStreams()),
          new Figure("jdy.backend.errors", null, s -> s.getErrorsTotal()),
          new Figure("jdy.backend.latency.avg", "milliseconds", MetricsSnapshot::getAvgLatencyMs),
          new Figure("jdy.backend.ttft.avg", "milliseconds", MetricsSnapshot::getAvgTtftMs),
          new Figure("jdy.backend.tokens.per.second", null, MetricsSnapshot::getTokensPerSecond),
          new Figure("jdy.backend.queue.depth", null, s -> s.getQueueDepth()),
          new Figure("jdy.backend.consumer.lag", null, s -> s.getConsumerLag()),
          new Figure(
              "jdy.backend.eventloop.lag", "milliseconds", MetricsSnapshot::getEventLoopLagMs),
          new Figure(
              "jdy.backend.handshake.avg", "milliseconds", MetricsSnapshot::getAvgHandshakeMs),
          new Figure("jdy.backend.handshakes.in.flight", null, s -> s.getHandshakesInFlight()),
          new Figure("jdy.backend.cpu.throttled", null, MetricsSnapshot::getCpuThrottled),
          new Figure("jdy.backend.gc.pause.ms.per.second", null, MetricsSnapshot::getGcPauseMsPerS),
          new Figure(
              "jdy.backend.queue.wait.avg", "milliseconds", MetricsSnapshot::getAvgQueueWaitMs),
          new Figure(
              "jdy.backend.upstream.ttft.avg",
              "milliseconds",
              MetricsSnapshot::getAvgUpstreamTtftMs));

  private final MeterRegistry registry;
  private final SnapshotStore store;
  // executor thread only
  private final Map<String, List<Meter>> meters = new HashMap<>();

  public BackendGauges(MeterRegistry registry, SnapshotStore store) {
    this.registry = registry;
    this.store = store;
  }

  /** Registers the series of new targets and removes those of targets that are gone. */
  public void update(Map<String, Target> targets) {
    meters
        .entrySet()
        .removeIf(
            e -> {
              if (targets.containsKey(e.getKey())) {
                return false;
              }
              e.getValue().forEach(registry::remove);
              return true;
            });
    targets.forEach((key, target) -> meters.computeIfAbsent(key, k -> register(k, target)));
  }

  /** Removes every series. */
  public void close() {
    meters.values().forEach(list -> list.forEach(registry::remove));
    meters.clear();
  }

  private List<Meter> register(String key, Target target) {
    Tags tags = Tags.of("service", target.service(), "instance", target.id());
    List<Meter> list = new ArrayList<>(FIGURES.size() + 1);
    list.add(
        Gauge.builder(
                "jdy.backend.up",
                store,
                s -> {
                  SnapshotStore.Latest latest = s.get(key);
                  return latest != null && latest.up() ? 1 : 0;
                })
            .tags(tags)
            .description("1 while the exporter receives this backend's metrics stream")
            .register(registry));
    for (Figure figure : FIGURES) {
      list.add(
          Gauge.builder(
                  figure.name(),
                  store,
                  s -> {
                    SnapshotStore.Latest latest = s.get(key);
                    return latest == null || latest.snapshot() == null
                        ? Double.NaN
                        : figure.value().applyAsDouble(latest.snapshot());
                  })
              .tags(tags)
              .baseUnit(figure.unit())
              .register(registry));
    }
    return list;
  }
}
