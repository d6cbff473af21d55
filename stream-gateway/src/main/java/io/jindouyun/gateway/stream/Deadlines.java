package io.jindouyun.gateway.stream;

import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a task once after a delay. Implementations share one timer thread, so a task must be quick
 * and must never block; a task that throws must not stop later tasks.
 */
@FunctionalInterface
public interface Deadlines {

  /** A scheduled task, which may still be cancelled. */
  @FunctionalInterface
  interface Pending {

    /** Cancels the task if it has not run yet (it then stops counting against the bound). */
    void cancel();
  }

  /**
   * Runs {@code task} once, about {@code delayNanos} from now.
   *
   * @throws RejectedExecutionException when the bound on pending deadlines is reached
   */
  void schedule(long delayNanos, Runnable task);

  /**
   * Like {@link #schedule}, but the task may be cancelled. By default it cannot really be: the
   * returned handle does nothing, and the task runs (and must find nothing to do).
   *
   * @throws RejectedExecutionException when the bound on pending deadlines is reached
   */
  default Pending scheduleCancellable(long delayNanos, Runnable task) {
    schedule(delayNanos, task);
    return () -> {};
  }
}
