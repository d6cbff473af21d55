package io.jindouyun.gateway.stream;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The heap held by the answer buffers of all streams of this gateway, against a global limit.
 *
 * <p>What is counted is the retained heap, not the text's length: each live {@link Generation}
 * charges a fixed overhead, its {@link AnswerText} by the capacity of its arrays (one byte per char
 * while the text is Latin-1, two after), and every chunk it holds back out of order (see {@link
 * Generation} for the figures). So {@link #used()} is what releasing every buffer would give back
 * to the heap, to within the estimate of the object headers.
 *
 * <p>Two thresholds: new streams are admitted only while {@link #used()} is below the admission
 * limit, seven eighths of the limit, so that the answers already running have the last eighth to
 * grow in; a running answer whose chunk takes {@link #used()} over the limit itself ends with an
 * error and its buffer is dropped at once (see {@link Generation}). The heap held therefore never
 * exceeds the limit by more than the chunk being applied.
 *
 * <p>Concurrency: thread-safe, lock-free (one atomic counter); the thresholds are read without
 * locking, so two racing handshakes may both be admitted at the admission limit, which the last
 * eighth absorbs.
 */
public final class ByteBudget {

  private final long limit;
  private final long admissionLimit;
  private final AtomicLong used = new AtomicLong();

  /** A budget of {@code limit} bytes of retained heap. */
  public ByteBudget(long limit) {
    this.limit = limit;
    this.admissionLimit = limit - limit / 8;
  }

  /** Bytes of heap the buffers hold now. */
  public long used() {
    return used.get();
  }

  /** The limit in bytes. */
  public long limit() {
    return limit;
  }

  /** Whether new streams are refused: seven eighths of the limit are used. */
  public boolean exhausted() {
    return used.get() >= admissionLimit;
  }

  /** Whether the limit itself is passed: the answer that passed it must give its buffer back. */
  boolean over() {
    return used.get() > limit;
  }

  void add(long bytes) {
    used.addAndGet(bytes);
  }

  void release(long bytes) {
    used.addAndGet(-bytes);
  }
}
