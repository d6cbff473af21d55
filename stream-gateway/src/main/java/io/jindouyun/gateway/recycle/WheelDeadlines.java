package io.jindouyun.gateway.recycle;

import io.jindouyun.gateway.stream.Deadlines;
import io.netty.util.HashedWheelTimer;
import io.netty.util.Timeout;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's deadlines on one Netty {@link HashedWheelTimer}.
 *
 * <p>Create only one per process and share it: each timer owns a thread. Deadlines fire on that
 * thread up to one tick late, so tasks must be quick and never block; a task that throws is logged
 * and does not affect others. At most {@code maxPendingTimeouts} deadlines may be pending; beyond
 * that {@link #schedule} throws {@link RejectedExecutionException} (back-pressure the callers turn
 * into a 503 for a new stream; see {@code StreamDeadlines} for the deadlines of running ones). A
 * cancelled deadline stops counting at the next tick. Thread-safe.
 */
public final class WheelDeadlines implements Deadlines, AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(WheelDeadlines.class);

  private final HashedWheelTimer timer;

  /** A started timer with the given tick, wheel size and bound on pending deadlines. */
  public WheelDeadlines(Duration tick, int ticksPerWheel, long maxPendingTimeouts) {
    this.timer =
        new HashedWheelTimer(
            r -> {
              Thread t = new Thread(r, "jdy-deadlines");
              t.setDaemon(true);
              return t;
            },
            tick.toNanos(),
            TimeUnit.NANOSECONDS,
            ticksPerWheel,
            false,
            maxPendingTimeouts);
    timer.start();
  }

  @Override
  public void schedule(long delayNanos, Runnable task) {
    scheduleCancellable(delayNanos, task);
  }

  @Override
  public Pending scheduleCancellable(long delayNanos, Runnable task) {
    try {
      Timeout pending =
          timer.newTimeout(
              fired -> {
                try {
                  task.run();
                } catch (RuntimeException | Error e) {
                  log.error("a deadline task failed", e);
                }
              },
              Math.max(0, delayNanos),
              TimeUnit.NANOSECONDS);
      return pending::cancel;
    } catch (IllegalStateException stopped) {
      throw new RejectedExecutionException("the timer is stopped", stopped);
    }
  }

  /** Deadlines pending now. */
  public long pending() {
    return timer.pendingTimeouts();
  }

  /** Stops the timer thread; pending deadlines are dropped. */
  @Override
  public void close() {
    timer.stop();
  }
}
