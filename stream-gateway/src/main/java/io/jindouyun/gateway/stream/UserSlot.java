package io.jindouyun.gateway.stream;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One user's place in the stream map: the current generation, when the slot was last touched, and
 * the ids of the last streams the user acknowledged.
 *
 * <p>Concurrency: the current generation changes only by compare-and-set (newer generation wins;
 * the map's retire marker ends the slot). The touch time is written by any thread and read by the
 * timer thread for the lazy warm deadline. The history is guarded by its own monitor. The {@link
 * StreamDeadlines.Armed} flags belong to {@link StreamDeadlines}.
 */
public final class UserSlot {

  private final String userId;
  private final AtomicReference<Generation> current = new AtomicReference<>();
  private final StreamDeadlines.Armed armed = new StreamDeadlines.Armed();
  private volatile long touchedNanos;
  private final ArrayDeque<String> delivered; // guarded by itself
  private final int historySize;

  UserSlot(String userId, int historySize, long nowNanos) {
    this.userId = userId;
    this.historySize = historySize;
    this.delivered = new ArrayDeque<>(Math.min(historySize, 4));
    this.touchedNanos = nowNanos;
  }

  String userId() {
    return userId;
  }

  /** The current generation, null between generations, or the map's retire marker. */
  Generation current() {
    return current.get();
  }

  /** Makes {@code next} current if {@code expected} still is; false if it is not. */
  boolean replaceCurrent(Generation expected, Generation next) {
    return current.compareAndSet(expected, next);
  }

  /** Its pending deadlines, for {@link StreamDeadlines} alone. */
  StreamDeadlines.Armed armed() {
    return armed;
  }

  void touch(long nowNanos) {
    touchedNanos = nowNanos;
  }

  /**
   * How long the slot still stays warm: the nanos left of {@code warmNanos} since it was last
   * touched, 0 if none are, or a negative number while it has a current generation.
   */
  long warmLeft(long warmNanos, long nowNanos) {
    if (current.get() != null) {
      return -1;
    }
    return Math.max(0, warmNanos - (nowNanos - touchedNanos));
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
