package io.jindouyun.gateway.stream;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One generation of one user's stream: the answer as one growing text plus a {@code seq -> end
 * offset} index (no object per token), its lifecycle state and its readers.
 *
 * <p>Chunks are applied in seq order: a duplicate seq is dropped, a seq ahead of the next one is
 * held (bounded) until the gap fills, a higher attempt stamp resets the buffer (readers get {@code
 * reset}) and a lower one is a zombie and dropped. Once the generation has ended, chunks are
 * dropped.
 *
 * <p>Concurrency: every mutable field is guarded by this object's monitor. The reply thread applies
 * chunks, request threads attach and read cursors, the timer thread checks deadlines. Listeners
 * (reader wake-ups) are called outside the monitor, must be cheap and must not block.
 */
public final class Generation {

  /** Lifecycle of a generation. */
  enum State {
    OPEN,
    DONE,
    FAILED,
    SUPERSEDED,
    CANCELLED,
    EXPIRED
  }

  static final int APPLIED = 1;
  static final int RESET = 2;
  static final int FINISHED = 4;
  static final int OVERFLOW = 8;
  static final int ARM_GAP = 16;
  static final int DROPPED_STALE = 32;
  static final int DROPPED_DUPLICATE = 64;
  static final int DROPPED_ZOMBIE = 128;

  private static final Runnable[] NO_LISTENERS = new Runnable[0];

  final String userId;
  final String streamId;
  final long number;
  final long createdNanos;
  final long createdMillis;
  private final ByteBudget budget;
  private final StreamLimits limits;
  private final AtomicBoolean firstWritten = new AtomicBoolean();

  // all below guarded by this
  private StringBuilder text;
  private int[] ends;
  private int[] lags;
  private int count;
  private boolean attemptKnown;
  private int attempt;
  private int epoch;
  private long bytes;
  private TreeMap<Long, IncomingChunk> pending;
  private long gapSinceNanos;
  private State state = State.OPEN;
  private StreamEvent terminal;
  private boolean released;
  private boolean acked;
  private boolean claimed;
  private int readers;
  private long touchedNanos;
  private long finishedNanos;
  boolean claimArmed;
  boolean ackArmed;
  boolean gapArmed;
  private volatile Runnable[] listeners = NO_LISTENERS;

  Generation(
      String userId,
      String streamId,
      long number,
      long nowNanos,
      long nowMillis,
      ByteBudget budget,
      StreamLimits limits) {
    this.userId = userId;
    this.streamId = streamId;
    this.number = number;
    this.createdNanos = nowNanos;
    this.createdMillis = nowMillis;
    this.budget = budget;
    this.limits = limits;
    this.touchedNanos = nowNanos;
  }

  /** The stream id. */
  public String streamId() {
    return streamId;
  }

  /** The generation number. */
  public long number() {
    return number;
  }

  /** The owner. */
  public String userId() {
    return userId;
  }

  /** When the handshake opened it, in {@link System#nanoTime()} terms. */
  public long createdNanos() {
    return createdNanos;
  }

  /** True exactly once: for the first chunk written to any reader (time to first token). */
  public boolean markFirstWritten() {
    return !firstWritten.get() && firstWritten.compareAndSet(false, true);
  }

  /** Bytes buffered now. */
  public synchronized long bytes() {
    return bytes;
  }

  /** Whether the generation is still receiving chunks. */
  public synchronized boolean open() {
    return state == State.OPEN;
  }

  synchronized State state() {
    return state;
  }

  synchronized boolean released() {
    return released;
  }

  /** Applies one chunk; returns a set of the flag constants of this class. */
  int apply(IncomingChunk c, long nowNanos) {
    int result;
    synchronized (this) {
      result = applyLocked(c, nowNanos);
    }
    if ((result & (APPLIED | RESET | FINISHED)) != 0) {
      signal();
    }
    return result;
  }

  private int applyLocked(IncomingChunk c, long nowNanos) {
    if (state != State.OPEN) {
      return DROPPED_STALE;
    }
    int result = 0;
    if (!attemptKnown) {
      attemptKnown = true;
      attempt = c.attempt();
    } else if (c.attempt() < attempt) {
      return DROPPED_ZOMBIE;
    } else if (c.attempt() > attempt) {
      clearLocked();
      epoch++;
      attempt = c.attempt();
      result |= RESET;
    }
    if (c.seq() < count) {
      return result | DROPPED_DUPLICATE;
    }
    if (c.seq() > count) {
      if (pending == null) {
        pending = new TreeMap<>();
      }
      if (pending.containsKey(c.seq())) {
        return result | DROPPED_DUPLICATE;
      }
      if (pending.size() >= limits.maxPendingChunks()) {
        failLocked(ProblemKind.STREAM_GAP, "too many chunks after a missing one", nowNanos);
        return result | FINISHED | OVERFLOW;
      }
      pending.put(c.seq(), c);
      if (gapSinceNanos == 0) {
        gapSinceNanos = nowNanos;
      }
      if (!gapArmed) {
        gapArmed = true;
        result |= ARM_GAP;
      }
      return result;
    }
    result |= appendLocked(c, nowNanos);
    while (state == State.OPEN && pending != null && !pending.isEmpty()) {
      IncomingChunk next = pending.remove((long) count);
      if (next == null) {
        break;
      }
      result |= appendLocked(next, nowNanos);
    }
    if (state == State.OPEN && pending != null && !pending.isEmpty()) {
      gapSinceNanos = nowNanos; // a further gap starts now
      if (!gapArmed) {
        gapArmed = true;
        result |= ARM_GAP;
      }
    } else {
      gapSinceNanos = 0;
    }
    return result;
  }

  private int appendLocked(IncomingChunk c, long nowNanos) {
    if (c.error() != null) {
      endLocked(State.FAILED, new StreamEvent.Failed(c.error()), nowNanos);
      return FINISHED;
    }
    String delta = c.delta() == null ? "" : c.delta();
    long size = Utf8.length(delta);
    if (bytes + size > limits.maxBytesPerStream()) {
      failLocked(
          ProblemKind.STREAM_TOO_LARGE, "the answer exceeded the bytes per stream", nowNanos);
      return FINISHED | OVERFLOW;
    }
    if (text == null) {
      text = new StringBuilder(Math.max(16, delta.length()));
      ends = new int[8];
      lags = new int[8];
    } else if (count == ends.length) {
      ends = Arrays.copyOf(ends, count * 2);
      lags = Arrays.copyOf(lags, count * 2);
    }
    text.append(delta);
    ends[count] = text.length();
    lags[count] = (int) Math.max(0, Math.min(Integer.MAX_VALUE, c.timestampMs() - createdMillis));
    count++;
    bytes += size;
    budget.add(size);
    if (c.terminal()) {
      endLocked(State.DONE, new StreamEvent.Done(c.finish(), c.usage()), nowNanos);
      return APPLIED | FINISHED;
    }
    return APPLIED;
  }

  private void failLocked(ProblemKind kind, String detail, long nowNanos) {
    endLocked(State.FAILED, new StreamEvent.Failed(StreamProblem.of(kind, detail)), nowNanos);
  }

  private void endLocked(State to, StreamEvent event, long nowNanos) {
    state = to;
    terminal = event;
    pending = null;
    gapSinceNanos = 0;
    finishedNanos = nowNanos;
  }

  private void clearLocked() {
    budget.release(bytes);
    bytes = 0;
    text = null;
    ends = null;
    lags = null;
    count = 0;
    pending = null;
    gapSinceNanos = 0;
  }

  /**
   * Ends the generation at once with {@code event} (superseded, cancelled, expired, failed send).
   * Returns the state it had before, or null if it had already ended that way.
   */
  State end(State to, StreamEvent event, long nowNanos) {
    State before;
    synchronized (this) {
      before = state;
      if (state != State.OPEN && state != State.DONE && state != State.FAILED) {
        return null;
      }
      endLocked(to, event, nowNanos);
    }
    signal();
    return before;
  }

  /** Fails an open generation with a problem; false if it had already ended. */
  boolean fail(ProblemKind kind, String detail, long nowNanos) {
    synchronized (this) {
      if (state != State.OPEN) {
        return false;
      }
      failLocked(kind, detail, nowNanos);
    }
    signal();
    return true;
  }

  /** Drops the buffer and gives its bytes back to the budget; idempotent. */
  synchronized void release() {
    if (!released) {
      released = true;
      clearLocked();
    }
  }

  /** Marks a finished generation acknowledged; false while it is still open or already gone. */
  synchronized boolean ack() {
    if (state != State.DONE && state != State.FAILED || acked || released) {
      return false;
    }
    acked = true;
    return true;
  }

  /** Decides the claim deadline: -1 nothing to do, 0 expire now, else re-arm after nanos. */
  synchronized long claimCheck(long nowNanos) {
    if (claimed || released || state.ordinal() > State.FAILED.ordinal()) {
      claimArmed = false;
      return -1;
    }
    long remaining = limits.claimTimeout().toNanos() - (nowNanos - touchedNanos);
    return remaining > 0 ? remaining : 0;
  }

  /** Decides the ack deadline: -1 nothing to do, 0 release now, else re-arm after nanos. */
  synchronized long ackCheck(long nowNanos) {
    if (acked || released) {
      ackArmed = false;
      return -1;
    }
    if (readers > 0) {
      return limits.ackTimeout().toNanos();
    }
    long since = Math.max(touchedNanos, finishedNanos);
    long remaining = limits.ackTimeout().toNanos() - (nowNanos - since);
    return remaining > 0 ? remaining : 0;
  }

  /** Decides the gap deadline: -1 nothing to do, 0 fail now, else re-arm after nanos. */
  synchronized long gapCheck(long nowNanos) {
    if (state != State.OPEN || gapSinceNanos == 0) {
      gapArmed = false;
      return -1;
    }
    long remaining = limits.gapWait().toNanos() - (nowNanos - gapSinceNanos);
    return remaining > 0 ? remaining : 0;
  }

  /**
   * Adds a reader. {@code lastEventId} ({@code <generation>.<seq>}, may be null) resumes strictly
   * after that chunk when it can; otherwise the reader starts over with a {@code reset}.
   *
   * @throws ProblemException at the bound on readers per stream
   */
  Cursor attach(String lastEventId, Runnable onChange, long nowNanos) {
    Cursor cursor;
    synchronized (this) {
      if (readers >= limits.maxReadersPerStream()) {
        throw new ProblemException(
            ProblemKind.TOO_MANY_READERS, "this stream has too many readers");
      }
      readers++;
      claimed = true;
      touchedNanos = nowNanos;
      cursor = new Cursor(this, onChange);
      cursor.resume = Cursor.Resume.NONE;
      if (lastEventId != null && !lastEventId.isEmpty()) {
        long seq = EventIds.seqOf(lastEventId, number);
        if (seq >= 0 && epoch == 0 && seq < count) {
          cursor.next = (int) seq + 1;
          cursor.resume = Cursor.Resume.EXACT;
        } else {
          cursor.epoch = -1;
          cursor.resume = Cursor.Resume.RESTART;
        }
      }
      if (cursor.resume != Cursor.Resume.RESTART) {
        cursor.epoch = epoch;
      }
      Runnable[] now = Arrays.copyOf(listeners, listeners.length + 1);
      now[now.length - 1] = onChange;
      listeners = now;
    }
    return cursor;
  }

  /**
   * Removes a reader. When the last reader of an unfinished generation leaves, the generation is
   * unclaimed again; returns true if the caller must arm the claim deadline for it.
   */
  synchronized boolean detach(Cursor cursor, long nowNanos) {
    Runnable[] now = listeners;
    for (int i = 0; i < now.length; i++) {
      if (now[i] == cursor.onChange) {
        Runnable[] less = new Runnable[now.length - 1];
        System.arraycopy(now, 0, less, 0, i);
        System.arraycopy(now, i + 1, less, i, now.length - i - 1);
        listeners = less;
        readers--;
        touchedNanos = nowNanos;
        if (readers == 0 && state == State.OPEN && !released) {
          claimed = false;
          if (!claimArmed) {
            claimArmed = true;
            return true;
          }
        }
        return false;
      }
    }
    return false;
  }

  /** Readers attached now. */
  public synchronized int readers() {
    return readers;
  }

  synchronized List<StreamEvent> read(Cursor cursor) {
    if (cursor.finished) {
      return List.of();
    }
    List<StreamEvent> out = new ArrayList<>(Math.max(1, count - cursor.next + 1));
    boolean live = cursor.reads++ > 0;
    boolean immediate = state.ordinal() > State.FAILED.ordinal() || released;
    if (!immediate) {
      if (cursor.epoch != epoch) {
        out.add(new StreamEvent.Reset(number));
        cursor.epoch = epoch;
        cursor.next = 0;
      }
      while (cursor.next < count) {
        int seq = cursor.next++;
        int from = seq == 0 ? 0 : ends[seq - 1];
        out.add(
            new StreamEvent.Chunk(
                number, seq, text.substring(from, ends[seq]), createdMillis + lags[seq], live));
      }
    }
    if (terminal != null) {
      out.add(terminal);
      cursor.finished = true;
    }
    return out;
  }

  private void signal() {
    for (Runnable listener : listeners) {
      listener.run();
    }
  }
}
