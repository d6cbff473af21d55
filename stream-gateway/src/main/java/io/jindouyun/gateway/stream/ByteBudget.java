package io.jindouyun.gateway.stream;

import java.util.concurrent.atomic.AtomicLong;

/** The bytes buffered by all streams of this gateway against a global limit. Thread-safe. */
public final class ByteBudget {

  private final long limit;
  private final AtomicLong used = new AtomicLong();

  /** A budget of {@code limit} bytes. */
  public ByteBudget(long limit) {
    this.limit = limit;
  }

  /** Bytes currently buffered. */
  public long used() {
    return used.get();
  }

  /** Whether the budget is spent: new streams are refused while it is. */
  public boolean exhausted() {
    return used.get() >= limit;
  }

  void add(long bytes) {
    used.addAndGet(bytes);
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }
}
