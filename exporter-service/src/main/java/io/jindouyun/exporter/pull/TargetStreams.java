package io.jindouyun.exporter.pull;

import io.jindouyun.exporter.target.Target;
import io.jindouyun.support.backoff.Backoff;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One {@link TargetStream} per current target: {@link #update} opens streams of new targets, closes
 * those of removed ones (and forgets their snapshots), reopens a target whose address changed. A
 * sweep every interval cancels hung streams.
 *
 * <p>Concurrency: every method must run on the shared single-threaded executor.
 */
public final class TargetStreams {

  private final StreamContext context;
  // executor thread only
  private final Map<String, TargetStream> streams = new HashMap<>();
  private ScheduledFuture<?> sweep;
  // written on the executor, read by scrapes
  private final AtomicInteger count = new AtomicInteger();

  public TargetStreams(
      ScheduledExecutorService executor,
      SnapshotStore store,
      Backoff backoff,
      Duration interval,
      int idleIntervals,
      Duration connectTimeout,
      int maxMessageBytes,
      MeterRegistry registry) {
    long idleTimeoutNanos = interval.toNanos() * idleIntervals;
    this.context =
        new StreamContext(
            executor,
            store,
            backoff,
            interval.toMillis(),
            idleTimeoutNanos,
            Math.max(idleTimeoutNanos, connectTimeout.toNanos()),
            maxMessageBytes,
            new StreamStats(registry));
    registry.gauge("jdy.exporter.targets", count);
  }

  /** Starts the idle sweep. */
  public void start() {
    long ms = context.intervalMs();
    sweep =
        context
            .executor()
            .scheduleWithFixedDelay(
                () -> {
                  long now = System.nanoTime();
                  streams.values().forEach(s -> s.checkIdle(now));
                },
                ms,
                ms,
                TimeUnit.MILLISECONDS);
  }

  /**
   * Makes the streams match {@code targets}.
   *
   * @return whether a stream was closed (a target removed or its address changed)
   */
  public boolean update(Map<String, Target> targets) {
    boolean closed =
        streams
            .entrySet()
            .removeIf(
                e -> {
                  Target wanted = targets.get(e.getKey());
                  if (wanted != null && wanted.equals(e.getValue().target())) {
                    return false;
                  }
                  e.getValue().close();
                  context.store().remove(e.getKey());
                  return true;
                });
    targets.forEach(
        (key, target) -> {
          if (!streams.containsKey(key)) {
            TargetStream stream = new TargetStream(target, context);
            streams.put(key, stream);
            context.store().add(target);
            stream.open();
          }
        });
    count.set(streams.size());
    return closed;
  }

  /** Closes every stream. */
  public void close() {
    if (sweep != null) {
      sweep.cancel(false);
    }
    streams.values().forEach(TargetStream::close);
    streams.keySet().forEach(context.store()::remove);
    streams.clear();
    count.set(0);
  }
}
