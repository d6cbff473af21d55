package io.jindouyun.exporter.prometheus;

import io.jindouyun.exporter.pull.SnapshotStore;
import io.jindouyun.exporter.target.Target;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.micrometer.core.instrument.FunctionCounter;
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
 * The figures of every target labelled {@code backend_service} and {@code backend_instance} (e.g.
 * {@code jdy_backend_active_streams{backend_service="stream-gateway",backend_instance="gw-1"}}),
 * read from the {@link SnapshotStore} at scrape time: cumulative totals as counters ({@code
 * jdy_backend_requests_total}, {@code jdy_backend_errors_total}), durations in seconds ({@code
 * *_seconds}), the rest as gauges. A target's series are registered when it appears and removed
 * when it is gone. {@code jdy_backend_up} is 1 while its stream delivers. Before a target's first
 * snapshot its figures read NaN; a figure the backend reports as unknown (a negative event-loop
 * lag, throttled share or GC pause ratio) is passed on negative.
 *
 * <p>Concurrency: {@link #update} runs on the exporter's executor; the gauges are read by scrapes.
 */
public final class BackendGauges {

  /**
   * Label of the backend's service: not {@code service}, which Prometheus' target labels use (a
   * scraped label that collides with a target label arrives renamed {@code exported_service}).
   */
  public static final String SERVICE_LABEL = "backend_service";

  /** Label of the backend's instance id: not {@code instance}, Prometheus' own target label. */
  public static final String INSTANCE_LABEL = "backend_instance";

  /** A snapshot figure; a counter is a cumulative total of the backend (reset on its restart). */
  private record Figure(
      String name, String unit, boolean counter, ToDoubleFunction<MetricsSnapshot> value) {

    static Figure gauge(String name, String unit, ToDoubleFunction<MetricsSnapshot> value) {
      return new Figure(name, unit, false, value);
    }

    static Figure counter(String name, ToDoubleFunction<MetricsSnapshot> value) {
      return new Figure(name, null, true, value);
    }

    /** A figure the snapshot carries in milliseconds, in seconds; a negative (unknown) stays. */
    static Figure seconds(String name, ToDoubleFunction<MetricsSnapshot> millis) {
      return new Figure(
          name,
          "seconds",
          false,
          s -> {
            double ms = millis.applyAsDouble(s);
            return ms < 0 ? ms : ms / 1000;
          });
    }
  }

  private static final List<Figure> FIGURES =
      List.of(
          Figure.gauge("jdy.backend.process.cpu", null, MetricsSnapshot::getProcessCpu),
          Figure.gauge("jdy.backend.system.cpu", null, MetricsSnapshot::getSystemCpu),
          Figure.gauge("jdy.backend.heap.used", "bytes", s -> s.getHeapUsedBytes()),
          Figure.gauge("jdy.backend.heap.max", "bytes", s -> s.getHeapMaxBytes()),
          Figure.gauge("jdy.backend.rss", "bytes", s -> s.getRssBytes()),
          Figure.gauge("jdy.backend.processors", null, s -> s.getProcessors()),
          Figure.counter("jdy.backend.requests", s -> s.getRequestsTotal()),
          Figure.gauge("jdy.backend.requests.in.flight", null, s -> s.getRequestsInFlight()),
          Figure.gauge("jdy.backend.active.streams", null, s -> s.getActiveStreams()),
          Figure.counter("jdy.backend.errors", s -> s.getErrorsTotal()),
          Figure.seconds("jdy.backend.latency.avg", MetricsSnapshot::getAvgLatencyMs),
          Figure.seconds("jdy.backend.ttft.avg", MetricsSnapshot::getAvgTtftMs),
          Figure.gauge("jdy.backend.tokens.per.second", null, MetricsSnapshot::getTokensPerSecond),
          Figure.gauge("jdy.backend.queue.depth", null, s -> s.getQueueDepth()),
          Figure.gauge("jdy.backend.consumer.lag", null, s -> s.getConsumerLag()),
          Figure.seconds("jdy.backend.eventloop.lag", MetricsSnapshot::getEventLoopLagMs),
          Figure.seconds("jdy.backend.handshake.avg", MetricsSnapshot::getAvgHandshakeMs),
          Figure.gauge("jdy.backend.handshakes.in.flight", null, s -> s.getHandshakesInFlight()),
          Figure.gauge("jdy.backend.cpu.throttled", null, MetricsSnapshot::getCpuThrottled),
          // milliseconds of GC pause per second of wall time, as a share of the time (0..1)
          Figure.gauge(
              "jdy.backend.gc.pause.ratio",
              null,
              s -> s.getGcPauseMsPerS() < 0 ? s.getGcPauseMsPerS() : s.getGcPauseMsPerS() / 1000),
          Figure.seconds("jdy.backend.queue.wait.avg", MetricsSnapshot::getAvgQueueWaitMs),
          Figure.seconds("jdy.backend.upstream.ttft.avg", MetricsSnapshot::getAvgUpstreamTtftMs));

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
    Tags tags = Tags.of(SERVICE_LABEL, target.service(), INSTANCE_LABEL, target.id());
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
      ToDoubleFunction<SnapshotStore> read =
          s -> {
            SnapshotStore.Latest latest = s.get(key);
            return latest == null || latest.snapshot() == null
                ? Double.NaN
                : figure.value().applyAsDouble(latest.snapshot());
          };
      list.add(
          figure.counter()
              ? FunctionCounter.builder(figure.name(), store, read).tags(tags).register(registry)
              : Gauge.builder(figure.name(), store, read)
                  .tags(tags)
                  .baseUnit(figure.unit())
                  .register(registry));
    }
    return list;
  }
}
