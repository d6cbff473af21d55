package io.jindouyun.gateway.openai;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts each user's requests in flight and refuses one over the per-user bound. An entry exists
 * only while its user has a request in flight, so the map holds at most as many entries as there
 * are requests running (each of which holds a stream of the bounded stream map).
 *
 * <p>Concurrency: thread-safe; each user's count changes atomically inside {@link
 * ConcurrentHashMap#compute}, which never blocks for long.
 */
final class UserConcurrency {

  private final ConcurrentHashMap<String, Integer> running = new ConcurrentHashMap<>();
  private final int maxPerUser;

  UserConcurrency(int maxPerUser) {
    this.maxPerUser = maxPerUser;
  }

  /** Takes one of the user's places; null when the user is at the bound. */
  Permit tryAcquire(String userId) {
    boolean[] taken = {false};
    running.compute(
        userId,
        (id, n) -> {
          int now = n == null ? 0 : n;
          if (now >= maxPerUser) {
            return n;
          }
          taken[0] = true;
          return now + 1;
        });
    return taken[0] ? new Permit(userId) : null;
  }

  /** Requests of {@code userId} in flight. */
  int running(String userId) {
    return running.getOrDefault(userId, 0);
  }

  /** Users with a request in flight. */
  int users() {
    return running.size();
  }

  /** One place of one user; {@link #release} gives it back once, later calls do nothing. */
  final class Permit {
    private final String userId;
    private final AtomicBoolean released = new AtomicBoolean();

    private Permit(String userId) {
      this.userId = userId;
    }

    void release() {
      if (released.compareAndSet(false, true)) {
        running.computeIfPresent(userId, (id, n) -> n <= 1 ? null : n - 1);
      }
    }
  }
}
