package io.jindouyun.gateway.handshake;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-user token buckets in a bounded map. A bucket holds up to {@code capacity} tokens and gets
 * one back every {@code refillNanos}. At the bound on buckets, buckets that have refilled
 * completely (equivalent to a new one) are evicted; if none has, new users are refused.
 *
 * <p>Concurrency: thread-safe; each bucket is guarded by its own monitor, the map is concurrent.
 */
final class TokenBuckets {

  private final int capacity;
  private final long refillNanos;
  private final int maxBuckets;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

  TokenBuckets(int capacity, long refillNanos, int maxBuckets) {
    this.capacity = capacity;
    this.refillNanos = refillNanos;
    this.maxBuckets = maxBuckets;
  }

  /** Takes a token for {@code key}; returns 0 on success, else nanos until one is back. */
  long tryAcquire(String key, long nowNanos) {
    Bucket bucket = buckets.get(key);
    if (bucket == null) {
      if (buckets.size() >= maxBuckets) {
        buckets.values().removeIf(b -> b.full(nowNanos));
        if (buckets.size() >= maxBuckets) {
          return refillNanos;
        }
      }
      bucket = buckets.computeIfAbsent(key, k -> new Bucket(nowNanos));
    }
    return bucket.take(nowNanos);
  }

  int size() {
    return buckets.size();
  }

  private final class Bucket {
    private double tokens = capacity; // guarded by this
    private long updatedNanos; // guarded by this

    Bucket(long nowNanos) {
      this.updatedNanos = nowNanos;
    }

    private void refill(long nowNanos) {
      long elapsed = nowNanos - updatedNanos;
      if (elapsed > 0) {
        tokens = Math.min(capacity, tokens + (double) elapsed / refillNanos);
        updatedNanos = nowNanos;
      }
    }

    synchronized boolean full(long nowNanos) {
      refill(nowNanos);
      return tokens >= capacity;
    }

    synchronized long take(long nowNanos) {
      refill(nowNanos);
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) ((1 - tokens) * refillNanos));
    }
  }
}
