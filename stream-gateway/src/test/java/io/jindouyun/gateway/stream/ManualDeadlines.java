package io.jindouyun.gateway.stream;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;

/** A {@link Deadlines} on a hand-moved clock, for tests. Not thread-safe. */
final class ManualDeadlines implements Deadlines {

  private static final class Task {
    final long due;
    final Runnable run;

    Task(long due, Runnable run) {
      this.due = due;
      this.run = run;
    }
  }

  private final List<Task> tasks = new ArrayList<>();
  private final int max;
  long now = 1_000_000_000L;

  ManualDeadlines(int max) {
    this.max = max;
  }

  @Override
  public void schedule(long delayNanos, Runnable task) {
    scheduleCancellable(delayNanos, task);
  }

  @Override
  public Pending scheduleCancellable(long delayNanos, Runnable task) {
    if (tasks.size() >= max) {
      throw new RejectedExecutionException("full");
    }
    Task scheduled = new Task(now + delayNanos, task);
    tasks.add(scheduled);
    return () -> tasks.remove(scheduled);
  }

  int pending() {
    return tasks.size();
  }

  /** Moves the clock on, running every task as its time comes, including ones they re-arm. */
  void advance(long nanos) {
    long target = now + nanos;
    while (true) {
      Task first = null;
      for (Task t : tasks) {
        if (t.due <= target && (first == null || t.due < first.due)) {
          first = t;
        }
      }
      if (first == null) {
        break;
      }
      tasks.remove(first);
      now = Math.max(now, first.due);
      first.run.run();
    }
    now = target;
  }
}
