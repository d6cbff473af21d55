package io.jindouyun.consumer.job;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.ToIntFunction;

/**
 * When one job consumer stops fetching: per partition when that partition's uncommitted window is
 * full, as a whole only when the consumer runs as many jobs as it may.
 *
 * <h2>Why per partition</h2>
 *
 * Jobs of a partition run at once and finish in any order, but a partition's commit can only move
 * over a finished prefix ({@link OffsetTracker}). A long job therefore keeps every later record of
 * its partition uncommitted (and tracked) until it ends, although those jobs are done and hold no
 * connection. Counting them against the consumer's whole budget would pause every partition behind
 * one long job, and other users' first tokens would wait for it (head-of-line blocking). So two
 * bounds, each on what it really limits:
 *
 * <ul>
 *   <li>{@code maxRunning}: jobs running in this consumer (LLM calls, reply state). When fewer than
 *       {@code pollRecords} slots are free, every partition is paused; a finished job frees its
 *       slot at once, whatever its offset.
 *   <li>{@code maxUncommitted}: records tracked in ONE partition (running, or finished behind an
 *       older running one): the tracker's memory per partition and the most a new owner redoes
 *       after this consumer dies. When fewer than {@code pollRecords} are free, only that partition
 *       is paused; it resumes when its oldest job ends and the commit moves.
 * </ul>
 *
 * A poll returns at most {@code pollRecords} records, so pausing with that much room left keeps
 * both bounds exact.
 *
 * <h2>Design</h2>
 *
 * Out-of-order completion with bounded memory: per partition, the received offsets are tracked
 * (running and finished), the contiguous finished prefix is committed, and only a partition whose
 * tracked set is full pauses. Not chosen: recording the finished offsets above the commit in the
 * commit's metadata so that a new owner skips them (no window to bound, but an encoding to keep
 * within the broker's metadata limit and a second source of truth after every rebalance), and one
 * consumer per partition (flow control per partition for free, but a thread and a connection per
 * partition, and still one long job stalling its partition). With the window, a long job stalls its
 * partition only after {@code maxUncommitted} records arrived behind it, and a takeover redoes at
 * most that many finished jobs (the gateway drops their chunks as stale).
 *
 * <h2>Threads</h2>
 *
 * {@link #update} is called on the consumer thread (a record arrived) and on the jobs' workers (a
 * job ended). Every decision is taken under this object's lock from counts read under it, so the
 * last decision reflects the latest state; the {@link Valve} is called under the lock and must only
 * record the request (the consumer thread applies it before its next poll).
 *
 * @param <K> the partition
 */
public final class FlowControl<K> {

  /** Where pause and resume requests go; calls must be quick and must not call back. */
  public interface Valve<K> {

    /** Stop fetching from every partition (those paused one by one stay paused). */
    void pauseAll();

    /** Fetch again from every partition not paused one by one. */
    void resumeAll();

    /** Stop fetching from {@code partition}. */
    void pause(K partition);

    /** Fetch again from {@code partition}. */
    void resume(K partition);
  }

  /**
   * @param maxRunning jobs running at most in the consumer
   * @param maxUncommitted records tracked at most in one partition
   * @param pollRecords records one poll returns at most (at most both bounds)
   */
  public record Limits(int maxRunning, int maxUncommitted, int pollRecords) {
    public Limits {
      if (pollRecords < 1 || pollRecords > maxRunning || pollRecords > maxUncommitted) {
        throw new IllegalArgumentException(
            "pollRecords must be between 1 and both maxRunning and maxUncommitted");
      }
    }
  }

  private final Limits limits;
  private final IntSupplier running;
  private final ToIntFunction<K> uncommitted;
  private final Valve<K> valve;
  private final Set<K> paused = new HashSet<>(); // guarded by this
  private boolean allPaused; // guarded by this
  private boolean held; // guarded by this

  /**
   * @param running the jobs running now
   * @param uncommitted the records tracked now in a partition
   */
  public FlowControl(
      Limits limits, IntSupplier running, ToIntFunction<K> uncommitted, Valve<K> valve) {
    this.limits = limits;
    this.running = running;
    this.uncommitted = uncommitted;
    this.valve = valve;
  }

  /** Decides again for {@code partition} and for the consumer as a whole, from the counts now. */
  public synchronized void update(K partition) {
    if (held) {
      return;
    }
    boolean partitionFull =
        limits.maxUncommitted() - uncommitted.applyAsInt(partition) < limits.pollRecords();
    if (partitionFull && paused.add(partition)) {
      valve.pause(partition);
    } else if (!partitionFull && paused.remove(partition)) {
      valve.resume(partition);
    }
    boolean consumerFull = limits.maxRunning() - running.getAsInt() < limits.pollRecords();
    if (consumerFull && !allPaused) {
      allPaused = true;
      valve.pauseAll();
    } else if (!consumerFull && allPaused) {
      allPaused = false;
      valve.resumeAll();
    }
  }

  /**
   * Forgets partitions that left the consumer: a paused one is resumed, so that it starts unpaused
   * if it comes back; then decides again for the consumer as a whole.
   */
  public synchronized void forget(Collection<K> partitions) {
    if (held) {
      return;
    }
    for (K partition : partitions) {
      if (paused.remove(partition)) {
        valve.resume(partition);
      }
    }
    boolean consumerFull = limits.maxRunning() - running.getAsInt() < limits.pollRecords();
    if (!consumerFull && allPaused) {
      allPaused = false;
      valve.resumeAll();
    }
  }

  /** Takes no further decision (the consumer is draining and stays paused). */
  public synchronized void hold() {
    held = true;
  }

  /** Partitions paused one by one now. */
  public synchronized Set<K> pausedPartitions() {
    return Set.copyOf(paused);
  }

  /** Whether the consumer as a whole is paused now. */
  public synchronized boolean pausedAll() {
    return allPaused;
  }
}
