package io.jindouyun.gateway.stream;

import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a task once after a delay. Implementations share one timer thread, so a task must be quick
 * and must never block; a task that throws must not stop later tasks.
 */
@FunctionalInterface
public interface Deadlines {

  /**
   * Runs {@code task} once, about {@code delayNanos} from now.
   *
   * @throws RejectedExecutionException when the bound on pending deadlines is reached
   */
  void schedule(long delayNanos, Runnable task);
}
