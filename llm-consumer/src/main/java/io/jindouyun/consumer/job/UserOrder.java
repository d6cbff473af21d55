package io.jindouyun.consumer.job;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fleet-wide order of one user's jobs: which job is the user's newest, and which older one to
 * supersede when a newer one comes.
 *
 * <h2>The order</h2>
 *
 * Every gateway puts a user's jobs on the jobs topic keyed by the user id, so one partition holds
 * all of them, and their offsets order them for the whole fleet: the job at the higher offset is
 * the newer one, whichever gateway sent it and whatever the machines' clocks say. The job consumer
 * that owns the partition sees them in that order and calls {@link #arrive} for each:
 *
 * <ul>
 *   <li>a job older than one already seen for the user (a lower offset in the same partition: a
 *       redelivery after a rebalance or a crash) is {@link Verdict#STALE}: it must not run, and
 *       above all must not supersede the newer one;
 *   <li>any other job runs, and the user's older job still running here (a different job at a lower
 *       offset) is returned to be superseded.
 * </ul>
 *
 * The same record delivered again (same offset, or the same job at a higher offset) supersedes
 * nothing.
 *
 * <h2>Bounds</h2>
 *
 * The running entries are one per user with a job running here, dropped by {@link #ended}, so they
 * are bounded by the jobs a consumer runs ({@code max-in-progress}). The memory of each user's
 * newest offset outlives its job (it is what makes a later redelivery {@code STALE}) and is bounded
 * by {@code memory}, least recently used forgotten; a forgotten user's redelivered older job runs
 * (one extra LLM call whose chunks its gateway drops), it never supersedes a newer job still
 * running here, since the running entries are checked too.
 *
 * <p>Thread-safe (synchronized): arrivals come from the consumer thread, ends from the jobs'
 * workers. Free of Kafka types.
 *
 * @param <H> the handle of a running job
 */
public final class UserOrder<H> {

  /** What to do with an arriving job. */
  public enum Verdict {
    /** Run it. */
    RUN,
    /** A newer job of the same user was seen already: end it as superseded, do not run it. */
    STALE
  }

  /**
   * What {@link #arrive} decided.
   *
   * @param verdict run it or not
   * @param supersede the user's older running job to supersede, or null
   */
  public record Admission<H>(Verdict verdict, H supersede) {}

  private record Seen(int partition, long offset, JobKey key) {

    boolean newerThan(int otherPartition, long otherOffset) {
      return partition == otherPartition && offset > otherOffset;
    }
  }

  private record Running<H>(Seen seen, H handle) {}

  private final Map<String, Seen> newest;
  private final Map<String, Running<H>> running = new HashMap<>();

  /**
   * @param memory users whose newest job is remembered (least recently used forgotten)
   */
  public UserOrder(int memory) {
    if (memory < 1) {
      throw new IllegalArgumentException("memory must be at least 1");
    }
    this.newest =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
            return size() > memory;
          }
        };
  }

  /** Whether a job at {@code offset} is older than one already seen for {@code user}. */
  public synchronized boolean stale(String user, int partition, long offset) {
    Seen last = newest.get(user);
    Running<H> older = running.get(user);
    return last != null && last.newerThan(partition, offset)
        || older != null && older.seen().newerThan(partition, offset);
  }

  /**
   * Whether the job at {@code offset} is the user's newest already (the same record delivered
   * again, after a rebalance brought its partition back): it was admitted once, so it is not
   * charged to the user's rate again.
   */
  public synchronized boolean admitted(String user, int partition, long offset) {
    Seen last = newest.get(user);
    return last != null && last.partition() == partition && last.offset() == offset;
  }

  /**
   * Decides for the job {@code key} of {@code user} at {@code offset} of {@code partition}. A
   * {@link Verdict#RUN} makes it the user's newest; the caller then reports it with {@link
   * #started}.
   */
  public synchronized Admission<H> arrive(String user, int partition, long offset, JobKey key) {
    if (stale(user, partition, offset)) {
      return new Admission<>(Verdict.STALE, null);
    }
    Running<H> older = running.get(user);
    H supersede = null;
    if (older != null && !older.seen().key().equals(key)) {
      running.remove(user);
      supersede = older.handle();
    }
    newest.put(user, new Seen(partition, offset, key));
    return new Admission<>(Verdict.RUN, supersede);
  }

  /** The job admitted at {@code offset} runs under {@code handle}. */
  public synchronized void started(String user, int partition, long offset, JobKey key, H handle) {
    running.put(user, new Running<>(new Seen(partition, offset, key), handle));
  }

  /** The job under {@code handle} ended: it is no longer there to supersede. */
  public synchronized void ended(String user, H handle) {
    Running<H> entry = running.get(user);
    if (entry != null && entry.handle() == handle) {
      running.remove(user);
    }
  }

  /** Users with a job running here. */
  public synchronized int running() {
    return running.size();
  }

  /** Users whose newest job is remembered. */
  public synchronized int remembered() {
    return newest.size();
  }
}
