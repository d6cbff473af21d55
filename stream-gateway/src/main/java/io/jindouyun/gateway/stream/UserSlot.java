package io.jindouyun.gateway.stream;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One user's place in the stream map: the current generation, when the slot was last touched, and
 * the ids of the last streams the user acknowledged.
 *
 * <p>Concurrency: {@link #current} changes only by compare-and-set (newer generation wins; the
 * map's retire marker ends the slot). {@link #touchedNanos} is written by any thread and read by
 * the timer thread for lazy deadlines. The history is guarded by its own monitor.
 */
public final class UserSlot {

  final String userId;
  final AtomicReference<Generation> current = new AtomicReference<>();
  final AtomicBoolean warmArmed = new AtomicBoolean();
  volatile long touchedNanos;
  private final ArrayDeque<String> delivered; // guarded by itself
  private final int historySize;

  UserSlot(String userId, int historySize, long nowNanos) {
    this.userId = userId;
    this.historySize = historySize;
    this.delivered = new ArrayDeque<>(Math.min(historySize, 4));
    this.touchedNanos = nowNanos;
  }

  void touch(long nowNanos) {
    touchedNanos = nowNanos;
  }

  void markDelivered(String streamId) {
    synchronized (delivered) {
      if (historySize == 0) {
        return;
      }
      if (delivered.size() == historySize) {
        delivered.removeFirst();
      }
      delivered.addLast(streamId);
    }
  }

  /** The ids of the user's last acknowledged streams, oldest first. */
  public List<String> delivered() {
    synchronized (delivered) {
      return List.copyOf(delivered);
    }
  }
}
