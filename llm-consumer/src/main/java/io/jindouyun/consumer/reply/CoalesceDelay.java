package io.jindouyun.consumer.reply;

import java.time.Duration;

/**
 * How long a token may wait in its job's buffer before the buffer goes out as a chunk, chosen from
 * how many jobs run in this consumer: the chunks a consumer sends per second are about its running
 * jobs divided by the delay (while tokens come faster than the delay), so the delay is the one that
 * keeps them near {@code chunkRate}, within {@code [min, max]}.
 *
 * <p>Few jobs: every token goes out after at most {@code min} (as with a fixed delay). Many jobs:
 * several tokens share a chunk, so what every later stage spends per chunk (the Kafka record, the
 * gateway's decode and map update, the SSE event) is spent once for several tokens, exactly when
 * CPU is scarce. A token never waits longer than {@code max}; the first token of an answer never
 * waits (see {@link ChunkCoalescer}).
 *
 * <p>Immutable and thread-safe; free of clocks.
 */
public final class CoalesceDelay {

  private final long minNanos;
  private final long maxNanos;
  private final int chunkRate;

  /**
   * @param min the delay with few jobs running
   * @param max the longest delay, however many jobs run (raised to {@code min} if below it)
   * @param chunkRate chunks per second this consumer aims to send at most (at least 1)
   */
  public CoalesceDelay(Duration min, Duration max, int chunkRate) {
    if (min.isNegative() || chunkRate < 1) {
      throw new IllegalArgumentException(
          "the coalescing delay must not be negative and the chunk rate at least 1");
    }
    this.minNanos = min.toNanos();
    this.maxNanos = Math.max(minNanos, max.toNanos());
    this.chunkRate = chunkRate;
  }

  /** A fixed delay, whatever the load. */
  public static CoalesceDelay fixed(Duration delay) {
    return new CoalesceDelay(delay, delay, 1);
  }

  /** The delay, in nanoseconds, while {@code runningJobs} jobs run in this consumer. */
  public long nanos(int runningJobs) {
    long target = Math.max(0, runningJobs) * 1_000_000_000L / chunkRate;
    return Math.min(maxNanos, Math.max(minNanos, target));
  }
}
