package io.jindouyun.devllm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts injected failures per answer key so that {@code fail-times=N} fails only the first N
 * requests with the same key. Holds at most {@code maxKeys} keys; the least recently used key is
 * evicted first (its count starts over). Thread-safe: every method synchronizes on this object.
 */
final class FailureBudget {

  private final Map<String, Integer> failures;

  FailureBudget(int maxKeys) {
    this.failures =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
            return size() > maxKeys;
          }
        };
  }

  /**
   * Decides whether this request fails and records it.
   *
   * @param times fail only the first {@code times} requests with this key; 0 fails every request
   * @return true when the failure applies to this request
   */
  synchronized boolean tryFail(String key, int times) {
    if (times == 0) {
      return true;
    }
    int used = failures.getOrDefault(key, 0);
    if (used >= times) {
      return false;
    }
    failures.put(key, used + 1);
    return true;
  }

  /** Keys currently remembered. */
  synchronized int size() {
    return failures.size();
  }
}
