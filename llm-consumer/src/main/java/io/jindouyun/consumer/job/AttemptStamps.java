package io.jindouyun.consumer.job;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Issues the {@code attempt} stamped on every chunk of one upstream call.
 *
 * <h2>Why a stamp and not a counter</h2>
 *
 * Kafka cannot tell a consumer that a record is a redelivery, and a redelivered job usually lands
 * in another process that knows nothing of the first attempt. So every (re)start of the upstream
 * call for a job gets {@code attempt = max(deciseconds since 2026-01-01T00:00Z, last stamp issued
 * for this job here + 1)}: later starts get higher stamps, across processes (by the clock: a
 * redelivery comes at least a session timeout after the first start) and within one process (by the
 * remembered stamp, also for restarts within the same decisecond).
 *
 * <h2>The gateway's rule</h2>
 *
 * The first attempt the gateway sees for a generation sets its attempt; a HIGHER attempt means the
 * upstream call was restarted: the gateway emits {@code reset} and expects seq 0 again; a LOWER
 * attempt is a zombie (an older call still running somewhere) and its chunks are dropped. Only the
 * order of stamps matters, never their values.
 *
 * <p>The "last stamp" is remembered per job, not per process: a process-wide {@code last + 1} runs
 * ahead of the clock whenever more than ten calls start per second, and a crashed process's
 * successor would then stamp its redeliveries LOWER than the calls it replaces (the gateway would
 * drop them as zombies). Remembered jobs are bounded ({@code memory}, oldest evicted). The stamp
 * fits an {@code int32} until 2032-10.
 *
 * <p>Thread-safe.
 */
public final class AttemptStamps {

  /** Stamps count deciseconds from here. */
  public static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");

  private final LongSupplier clockMillis;
  private final Map<JobKey, Integer> last;

  /**
   * @param clockMillis wall clock, milliseconds since the epoch
   * @param memory jobs whose last stamp is remembered
   */
  public AttemptStamps(LongSupplier clockMillis, int memory) {
    if (memory < 1) {
      throw new IllegalArgumentException("memory must be at least 1");
    }
    this.clockMillis = clockMillis;
    this.last =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<JobKey, Integer> eldest) {
            return size() > memory;
          }
        };
  }

  /** The stamp for a new start of {@code job}'s upstream call. */
  public synchronized int next(JobKey job) {
    long deciseconds = Math.max(0, (clockMillis.getAsLong() - ORIGIN.toEpochMilli()) / 100);
    Integer previous = last.get(job);
    long stamp = previous == null ? deciseconds : Math.max(deciseconds, previous + 1L);
    int result = (int) Math.min(Integer.MAX_VALUE, stamp);
    last.put(job, result);
    return result;
  }
}
