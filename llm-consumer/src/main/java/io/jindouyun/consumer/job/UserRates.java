package io.jindouyun.consumer.job;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fleet-wide per-user rate of jobs: a token bucket per user, charged by the job consumer that
 * owns the user's partition, so it sees every job of the user whichever gateway sent it.
 *
 * <p>Time is the job's handshake time (its record's timestamp), not the time it is read: a backlog
 * read at once after a pause or a takeover is not taken for a burst. A bucket holds up to {@code
 * capacity} tokens and gets one back every {@code refillMillis}; a time earlier than the bucket's
 * last one refills nothing.
 *
 * <p>Bounded by {@code maxUsers} buckets, least recently used forgotten; a forgotten user starts
 * with a full bucket again, as does every user of a partition that moves to another consumer: each
 * of those events may let a user through one extra burst.
 *
 * <p>Thread-safe (synchronized); called from the consumer thread. Free of Kafka types.
 */
public final class UserRates {

  private final int capacity;
  private final long refillMillis;
  private final Map<String, Bucket> buckets;

  /**
   * @param capacity jobs a user may start in a burst
   * @param refillMillis time for one token to come back, milliseconds
   * @param maxUsers buckets kept at most
   */
  public UserRates(int capacity, long refillMillis, int maxUsers) {
    if (capacity < 1 || refillMillis < 1 || maxUsers < 1) {
      throw new IllegalArgumentException("capacity, refill and maxUsers must be positive");
    }
    this.capacity = capacity;
    this.refillMillis = refillMillis;
    this.buckets =
        new LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
            return size() > maxUsers;
          }
        };
  }

  /** Takes a token for {@code user} at {@code nowMillis}; false if the bucket is empty. */
  public synchronized boolean tryTake(String user, long nowMillis) {
    return buckets.computeIfAbsent(user, u -> new Bucket(nowMillis)).take(nowMillis);
  }

  /** Buckets kept now. */
  public synchronized int size() {
    return buckets.size();
  }

  /** One user's bucket; used under the outer lock. */
  private final class Bucket {
    private double tokens = capacity;
    private long updatedMillis;

    Bucket(long nowMillis) {
      this.updatedMillis = nowMillis;
    }

    boolean take(long nowMillis) {
      long elapsed = nowMillis - updatedMillis;
      if (elapsed > 0) {
        tokens = Math.min(capacity, tokens + (double) elapsed / refillMillis);
        updatedMillis = nowMillis;
      }
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
