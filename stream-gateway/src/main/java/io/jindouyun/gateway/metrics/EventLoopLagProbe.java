package io.jindouyun.gateway.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Measures how late the event loops run their tasks, and publishes the p99 of the last second's
 * lags, in seconds, as the gauge {@code jdy.eventloop.lag}.
 *
 * <p>On every loop of the group it schedules a tiny task {@code period} ahead; the task records how
 * late it ran (its start minus its due time) in that loop's {@link LagRing} and schedules the next
 * one {@code period} after its own start. A blocked or starved loop delays its probe like every
 * other task on it, so the lag is what a request arriving on that loop waits before it is served.
 * The gauge pools the rings of every loop (samples of the last second) with, for each loop, how
 * overdue its pending probe is now: a loop blocked for longer than the window has recorded nothing
 * new but still reads as lagging. Before {@link #start} and after {@link #stop} the gauge reads -1
 * (unknown).
 *
 * <p>Cost: one scheduled task per loop per period (with 2 loops at 100 ms, 20 tiny tasks a second);
 * the rings are bounded by {@code window / period + 1} samples each.
 *
 * <p>Concurrency: each ring is written by its own loop's thread; the gauge reads them from the
 * scraping thread under each ring's lock. {@link #start} and {@link #stop} are synchronized; a
 * probe task that runs after {@link #stop} does not reschedule itself.
 */
public final class EventLoopLagProbe {

  /** The window the published percentile covers. */
  public static final Duration WINDOW = Duration.ofSeconds(1);

  private final EventExecutorGroup loops;
  private final long periodNanos;
  private final List<Loop> probes = new ArrayList<>();
  private volatile boolean running;

  /**
   * @param loops the event loops to probe (those that serve HTTP)
   * @param period time between two probes of one loop
   * @param registry where the gauge is registered
   */
  public EventLoopLagProbe(EventExecutorGroup loops, Duration period, MeterRegistry registry) {
    if (period.isNegative() || period.isZero()) {
      throw new IllegalArgumentException("the probe period must be positive");
    }
    this.loops = loops;
    this.periodNanos = period.toNanos();
    int capacity = LagRing.capacityFor(WINDOW.toNanos(), periodNanos);
    for (EventExecutor executor : loops) {
      probes.add(new Loop(executor, new LagRing(capacity, WINDOW.toNanos())));
    }
    Gauge.builder("jdy.eventloop.lag", this, EventLoopLagProbe::p99Seconds)
        .description("p99 of the event loops' scheduling lag over the last second; -1 unknown")
        .baseUnit("seconds")
        .register(registry);
  }

  /** The probed loops. */
  public EventExecutorGroup loops() {
    return loops;
  }

  /** Starts probing every loop; no-op when running. */
  public synchronized void start() {
    if (running) {
      return;
    }
    running = true;
    for (Loop probe : probes) {
      probe.schedule(System.nanoTime());
    }
  }

  /** Stops probing; the pending probes are cancelled. No-op when stopped. */
  public synchronized void stop() {
    running = false;
    for (Loop probe : probes) {
      probe.cancel();
    }
  }

  /** True between {@link #start} and {@link #stop}. */
  public boolean isRunning() {
    return running;
  }

  /** Probe tasks that have run on all loops so far. */
  long probesRun() {
    long total = 0;
    for (Loop probe : probes) {
      total += probe.ring.recorded();
    }
    return total;
  }

  /** The p99 lag of the last second across all loops, ms; -1 when not running. */
  /** {@link #p99Millis} in seconds; -1 while unknown. */
  double p99Seconds() {
    double millis = p99Millis();
    return millis < 0 ? -1 : millis / 1000;
  }

  double p99Millis() {
    if (!running) {
      return -1;
    }
    long now = System.nanoTime();
    int total = 0;
    for (Loop probe : probes) {
      total += probe.ring.capacity() + 1;
    }
    long[] lags = new long[total];
    int count = 0;
    for (Loop probe : probes) {
      count += probe.ring.copyRecent(now, lags, count);
      long overdue = now - probe.dueNanos;
      if (probe.dueNanos != 0 && overdue > 0) {
        lags[count++] = overdue;
      }
    }
    return LagRing.percentileMillis(lags, count, 0.99);
  }

  /** The probe of one loop. */
  private final class Loop implements Runnable {
    private final EventExecutor executor;
    private final LagRing ring;
    // written by the loop's thread (and start), read by the gauge
    private volatile long dueNanos;
    private volatile Future<?> pending;

    Loop(EventExecutor executor, LagRing ring) {
      this.executor = executor;
      this.ring = ring;
    }

    void schedule(long fromNanos) {
      dueNanos = fromNanos + periodNanos;
      try {
        ScheduledFuture<?> next = executor.schedule(this, periodNanos, TimeUnit.NANOSECONDS);
        pending = next;
      } catch (RejectedExecutionException e) {
        // the loop is shutting down: nothing left to measure on it
        dueNanos = 0;
      }
    }

    @Override
    public void run() {
      long now = System.nanoTime();
      ring.record(now, now - dueNanos);
      if (running) {
        schedule(now);
      } else {
        dueNanos = 0;
      }
    }

    void cancel() {
      Future<?> current = pending;
      if (current != null) {
        current.cancel(false);
      }
      dueNanos = 0;
    }
  }
}
