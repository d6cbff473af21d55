package io.jindouyun.devllm;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's counters. Written from event-loop and timer threads, read by tests; {@link
 * #awaitClosedEarly} waits on this object's monitor, which {@link #clientClosedEarly} notifies.
 * Thread-safe.
 */
final class Counters {

  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong closedEarly = new AtomicLong();
  private final AtomicLong tokensSent = new AtomicLong();
  private final AtomicInteger active = new AtomicInteger();
  private volatile boolean serverClosing;

  void requestReceived() {
    requests.incrementAndGet();
  }

  void tokensSent(int count) {
    tokensSent.addAndGet(count);
  }

  /** Takes an in-flight slot; false (and no slot taken) when {@code max} are in flight. */
  boolean tryActivate(int max) {
    if (active.incrementAndGet() > max) {
      active.decrementAndGet();
      return false;
    }
    return true;
  }

  void deactivate() {
    active.decrementAndGet();
  }

  /** From now on answers cut short are the server's doing (it is closing), not the client's. */
  void serverClosing() {
    serverClosing = true;
  }

  void clientClosedEarly() {
    if (serverClosing) {
      return;
    }
    closedEarly.incrementAndGet();
    synchronized (this) {
      notifyAll();
    }
  }

  long requests() {
    return requests.get();
  }

  long closedEarly() {
    return closedEarly.get();
  }

  long tokensSent() {
    return tokensSent.get();
  }

  int active() {
    return active.get();
  }

  /** Waits until {@code closedEarly() >= n} or {@code max} elapsed; true when reached. */
  boolean awaitClosedEarly(long n, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    synchronized (this) {
      while (closedEarly.get() < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }
}
