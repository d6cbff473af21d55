package io.jindouyun.consumer.job;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The jobs running in this process by (streamId, generation), so that a cancel finds its job, plus
 * a memory of recent cancels for jobs that have not arrived yet (a cancel may overtake its job when
 * the jobs topic lags). Both are bounded: the running map by {@code capacity} (the consumers' pause
 * logic keeps it from filling; a full map refuses loudly), the memory by {@code cancelMemory}
 * (oldest forgotten).
 *
 * <p>Thread-safe (synchronized; a stop is only requested under the lock, the work happens on the
 * job's own worker).
 */
public final class InFlightJobs {

  /** What {@link #register} did. */
  enum Registration {
    /** Registered: start it. */
    REGISTERED,
    /** The same job is running here already: this record is a duplicate. */
    DUPLICATE,
    /** A cancel for the job came before it: do not start it. */
    CANCELLED
  }

  private final int capacity;
  private final Map<JobKey, JobExecution> running = new HashMap<>();
  private volatile int size; // running.size(), read without the lock
  private final Map<JobKey, Boolean> cancelled;

  /**
   * @param capacity jobs running at most
   * @param cancelMemory cancels remembered for jobs not seen yet
   */
  public InFlightJobs(int capacity, int cancelMemory) {
    this.capacity = capacity;
    this.cancelled =
        new LinkedHashMap<>(16, 0.75f, false) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<JobKey, Boolean> eldest) {
            return size() > cancelMemory;
          }
        };
  }

  synchronized Registration register(JobExecution execution) {
    JobKey key = execution.key();
    if (cancelled.containsKey(key)) {
      return Registration.CANCELLED;
    }
    if (running.containsKey(key)) {
      return Registration.DUPLICATE;
    }
    if (running.size() >= capacity) {
      throw new IllegalStateException("more than " + capacity + " jobs in flight");
    }
    running.put(key, execution);
    size = running.size();
    return Registration.REGISTERED;
  }

  synchronized void remove(JobExecution execution) {
    running.remove(execution.key(), execution);
    size = running.size();
  }

  /**
   * Cancels a job: stops it if it runs here, and remembers the cancel in case it comes later.
   *
   * @return whether a running job was stopped
   */
  public synchronized boolean cancel(JobKey key) {
    cancelled.put(key, Boolean.TRUE);
    JobExecution execution = running.get(key);
    if (execution != null) {
      execution.stop(JobOutcome.CANCELLED);
      return true;
    }
    return false;
  }

  /** Whether a cancel for {@code key} is remembered. */
  public synchronized boolean cancelled(JobKey key) {
    return cancelled.containsKey(key);
  }

  /** Jobs running (read without the lock: a recent value). */
  public int size() {
    return size;
  }
}
