package io.jindouyun.gateway.stream;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * One generation of one user's stream: the answer as an {@link AnswerText} (no object per token),
 * its lifecycle state and its readers.
 *
 * <p>Chunks are applied in seq order: a duplicate seq is dropped, a seq ahead of the next one is
 * held (bounded) until the gap fills, a higher attempt stamp resets the buffer (readers get {@code
 * reset}) and a lower one is a zombie and dropped. Once the generation has ended, chunks are
 * dropped.
 *
 * <p>Bounds. The answer's UTF-8 bytes, the text applied plus the chunks held back, stay within
 * {@link StreamLimits#maxBytesPerStream()}: a chunk that would pass it ends the generation with a
 * {@code stream-too-large} error. The heap it holds is charged to the gateway's {@link ByteBudget}
 * as it changes: {@link #OVERHEAD_BYTES} from its creation, its text by {@link
 * AnswerText#heapBytes()} (array capacities, one or two bytes per char) and each chunk held back by
 * {@link #HELD_CHUNK_BYTES} plus two bytes per char. A chunk (applied or held back) after which the
 * budget is over its limit ends the generation with an {@code unavailable} error and drops its
 * buffer at once, text and held-back chunks, so that the heap goes back under the limit; its
 * readers get the error (after a {@code reset} if they resume) and the caller cancels it upstream.
 *
 * <p>Concurrency: every mutable field is guarded by this object's monitor, except the first-written
 * mark (atomic) and the {@link StreamDeadlines.Armed} flags, which belong to {@link
 * StreamDeadlines}. The reply thread applies chunks, request threads attach and read cursors, the
 * timer thread asks how long a deadline has left. A {@link Cursor}'s position is moved only under
 * this monitor. Listeners (reader wake-ups) are called outside the monitor, must be cheap and must
 * not block.
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

  /** What appending one chunk to the text did. */
  private enum Appended {
    TEXT(true, false, false),
    LAST(true, true, false),
    ERROR(false, true, false),
    TOO_LARGE(false, true, true),
    OVER_BUDGET(false, true, true);

    final boolean applied;
    final boolean finished;
    final boolean overflow;

    Appended(boolean applied, boolean finished, boolean overflow) {
      this.applied = applied;
      this.finished = finished;
      this.overflow = overflow;
    }
  }

  /**
   * The heap of one generation without its text: this object, its atomic flag and deadline flags,
   * its listener array, its {@code streamId -> generation} index entry and its share of the timer
   * entries, with the user's slot; measured at 408-427 bytes by {@code BudgetFootprint} (see
   * BENCHMARKS.md, "Byte budget") and rounded up.
   */
  static final long OVERHEAD_BYTES = 512;

  /**
   * The heap of one chunk held back out of order, without its delta's chars: the decoded record,
   * its stream id and delta {@code String}s and its entry and key in the pending {@code TreeMap}.
   */
  static final long HELD_CHUNK_BYTES = 256;

  private static final Runnable[] NO_LISTENERS = new Runnable[0];

  private final String userId;
  private final String streamId;
  private final long number;
  private final long createdNanos;
  private final long createdMillis;
  private final ByteBudget budget;
  private final StreamLimits limits;
  private final AtomicBoolean firstWritten = new AtomicBoolean();
  private final StreamDeadlines.Armed armed = new StreamDeadlines.Armed();

  // all below guarded by this
  private AnswerText text; // null until the first chunk of an attempt
  private boolean attemptKnown;
  private int attempt;
  private int epoch;
  private TreeMap<Long, IncomingChunk> pending;
  private long pendingBytes; // UTF-8 bytes of the held-back deltas
  private long pendingHeap; // heap of the held-back chunks
  private long charged; // what this generation has added to the budget
  private long gapSinceNanos;
  private State state = State.OPEN;
  private StreamEvent terminal;
  private boolean released;
  private boolean acked;
  private boolean claimed;
  private int readers;
  private long touchedNanos;
  private long finishedNanos;
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
    this.charged = OVERHEAD_BYTES;
    budget.add(OVERHEAD_BYTES);
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

  /** UTF-8 bytes of the answer buffered now (applied text, without held-back chunks). */
  public synchronized long bytes() {
    return bytesLocked();
  }

  /** Whether the generation is still receiving chunks. */
  public synchronized boolean open() {
    return state == State.OPEN;
  }

  synchronized State state() {
    return state;
  }

  /** Its pending deadlines, for {@link StreamDeadlines} alone. */
  StreamDeadlines.Armed armed() {
    return armed;
  }

  synchronized boolean released() {
    return released;
  }

  /** Applies one chunk and wakes the readers if they have something new. */
  ApplyResult apply(IncomingChunk c, long nowNanos) {
    ApplyResult result;
    synchronized (this) {
      result = applyLocked(c, nowNanos);
    }
    if (result.wakesReaders()) {
      signal();
    }
    return result;
  }

  private ApplyResult applyLocked(IncomingChunk c, long nowNanos) {
    if (state != State.OPEN) {
      return ApplyResult.STALE;
    }
    boolean reset = false;
    if (!attemptKnown) {
      attemptKnown = true;
      attempt = c.attempt();
    } else if (c.attempt() < attempt) {
      return ApplyResult.ZOMBIE;
    } else if (c.attempt() > attempt) {
      clearLocked();
      epoch++;
      attempt = c.attempt();
      reset = true;
    }
    if (c.seq() < countLocked()) {
      return ApplyResult.dropped(ApplyResult.Drop.DUPLICATE, reset);
    }
    if (c.seq() > countLocked()) {
      return holdLocked(c, reset, nowNanos);
    }
    Appended last = appendLocked(c, nowNanos);
    boolean applied = last.applied;
    while (state == State.OPEN && pending != null && !pending.isEmpty()) {
      IncomingChunk next = pending.remove((long) countLocked());
      if (next == null) {
        break;
      }
      pendingBytes -= Utf8.length(deltaOf(next));
      pendingHeap -= heldHeap(next);
      last = appendLocked(next, nowNanos);
      applied |= last.applied;
    }
    boolean awaitingGap = state == State.OPEN && pending != null && !pending.isEmpty();
    gapSinceNanos = awaitingGap ? nowNanos : 0; // a further gap starts now
    return new ApplyResult(applied, reset, last.finished, last.overflow, awaitingGap, null);
  }

  /** Holds a chunk that came ahead of a missing one. */
  private ApplyResult holdLocked(IncomingChunk c, boolean reset, long nowNanos) {
    if (pending == null) {
      pending = new TreeMap<>();
    }
    if (pending.containsKey(c.seq())) {
      return ApplyResult.dropped(ApplyResult.Drop.DUPLICATE, reset);
    }
    if (pending.size() >= limits.maxPendingChunks()) {
      failLocked(ProblemKind.STREAM_GAP, "too many chunks after a missing one", nowNanos);
      return new ApplyResult(false, reset, true, true, false, null);
    }
    long size = Utf8.length(deltaOf(c));
    if (bytesLocked() + pendingBytes + size > limits.maxBytesPerStream()) {
      failTooLargeLocked(nowNanos);
      return new ApplyResult(false, reset, true, true, false, null);
    }
    pending.put(c.seq(), c);
    pendingBytes += size;
    pendingHeap += heldHeap(c);
    chargeLocked();
    if (budget.over()) {
      dropOverBudgetLocked(nowNanos);
      return new ApplyResult(false, reset, true, true, false, null);
    }
    if (gapSinceNanos == 0) {
      gapSinceNanos = nowNanos;
    }
    return new ApplyResult(false, reset, false, false, true, null);
  }

  private Appended appendLocked(IncomingChunk c, long nowNanos) {
    if (c.error() != null && c.error().supersedes()) {
      endLocked(State.SUPERSEDED, new StreamEvent.Superseded(number), nowNanos);
      return Appended.ERROR;
    }
    if (c.error() != null) {
      endLocked(State.FAILED, new StreamEvent.Failed(c.error()), nowNanos);
      return Appended.ERROR;
    }
    String delta = deltaOf(c);
    long size = Utf8.length(delta);
    if (bytesLocked() + pendingBytes + size > limits.maxBytesPerStream()) {
      failTooLargeLocked(nowNanos);
      return Appended.TOO_LARGE;
    }
    if (text == null) {
      text = new AnswerText(delta.length());
    }
    text.append(delta, size, c.timestampMs() - createdMillis);
    chargeLocked();
    if (budget.over()) {
      dropOverBudgetLocked(nowNanos);
      return Appended.OVER_BUDGET;
    }
    if (c.terminal()) {
      endLocked(State.DONE, new StreamEvent.Done(c.finish(), c.usage()), nowNanos);
      return Appended.LAST;
    }
    return Appended.TEXT;
  }

  private int countLocked() {
    return text == null ? 0 : text.count();
  }

  private long bytesLocked() {
    return text == null ? 0 : text.bytes();
  }

  private static String deltaOf(IncomingChunk c) {
    return c.delta() == null ? "" : c.delta();
  }

  /** The heap a held-back chunk takes: the record and its strings, two bytes per char. */
  private static long heldHeap(IncomingChunk c) {
    return HELD_CHUNK_BYTES + 2L * deltaOf(c).length();
  }

  /** Brings the budget in step with what this generation holds now. */
  private void chargeLocked() {
    long now = released ? 0 : OVERHEAD_BYTES + (text == null ? 0 : text.heapBytes()) + pendingHeap;
    if (now != charged) {
      budget.add(now - charged);
      charged = now;
    }
  }

  private void failTooLargeLocked(long nowNanos) {
    failLocked(
        ProblemKind.STREAM_TOO_LARGE,
        "the answer exceeded the " + limits.maxBytesPerStream() + " bytes per stream",
        nowNanos);
  }

  /** Ends the generation because the budget is over its limit, and drops its buffer at once. */
  private void dropOverBudgetLocked(long nowNanos) {
    failLocked(
        ProblemKind.UNAVAILABLE,
        "the gateway's buffers are full; the answer was dropped, start a new chat",
        nowNanos);
    clearLocked();
  }

  private void failLocked(ProblemKind kind, String detail, long nowNanos) {
    endLocked(State.FAILED, new StreamEvent.Failed(StreamProblem.of(kind, detail)), nowNanos);
  }

  private void endLocked(State to, StreamEvent event, long nowNanos) {
    state = to;
    terminal = event;
    dropPendingLocked();
    gapSinceNanos = 0;
    finishedNanos = nowNanos;
  }

  private void dropPendingLocked() {
    pending = null;
    pendingBytes = 0;
    pendingHeap = 0;
    chargeLocked();
  }

  /** Drops the text and the held-back chunks; the budget keeps only the overhead (or nothing). */
  private void clearLocked() {
    text = null;
    gapSinceNanos = 0;
    dropPendingLocked();
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

  /**
   * Whether {@code eventId} names a chunk of this generation that has arrived; true too once the
   * generation is released (its text is gone, and an ack finds nothing to release anyway).
   */
  synchronized boolean hasChunk(String eventId) {
    if (released) {
      return true;
    }
    long seq = EventIds.seqOf(eventId, number);
    return seq >= 0 && seq < countLocked();
  }

  /** Marks a finished generation acknowledged; false while it is still open or already gone. */
  synchronized boolean ack() {
    if (state != State.DONE && state != State.FAILED || acked || released) {
      return false;
    }
    acked = true;
    return true;
  }

  /**
   * How long the {@code kind} deadline (claim, ack, gap or lifetime) still has to run: the nanos
   * left, 0 if it is due now, or a negative number if there is nothing to wait for any more.
   */
  synchronized long timeLeft(StreamDeadlines.Kind kind, long nowNanos) {
    return switch (kind) {
      case CLAIM -> claimLeftLocked(nowNanos);
      case ACK -> ackLeftLocked(nowNanos);
      case GAP -> gapLeftLocked(nowNanos);
      case LIFETIME -> lifetimeLeftLocked(nowNanos);
      case WARM -> throw new IllegalArgumentException("a generation has no warm deadline");
    };
  }

  private long claimLeftLocked(long nowNanos) {
    if (claimed || released || state.ordinal() > State.FAILED.ordinal()) {
      return -1;
    }
    return Math.max(0, limits.claimTimeout().toNanos() - (nowNanos - touchedNanos));
  }

  private long ackLeftLocked(long nowNanos) {
    if (acked || released) {
      return -1;
    }
    if (readers > 0) {
      return limits.ackTimeout().toNanos();
    }
    long since = Math.max(touchedNanos, finishedNanos);
    return Math.max(0, limits.ackTimeout().toNanos() - (nowNanos - since));
  }

  /**
   * An open generation lives at most its maximum lifetime from the handshake; a finished one waits
   * for its ack as the ack deadline would (the lifetime deadline stands in for an ack deadline the
   * timer refused; when both are pending, the first to find the time up releases it).
   */
  private long lifetimeLeftLocked(long nowNanos) {
    if (released || state.ordinal() > State.FAILED.ordinal()) {
      return -1;
    }
    if (state == State.OPEN) {
      return Math.max(0, limits.maxLifetime().toNanos() - (nowNanos - createdNanos));
    }
    return ackLeftLocked(nowNanos);
  }

  private long gapLeftLocked(long nowNanos) {
    if (state != State.OPEN || gapSinceNanos == 0) {
      return -1;
    }
    return Math.max(0, limits.gapWait().toNanos() - (nowNanos - gapSinceNanos));
  }

  /**
   * Adds a reader. {@code lastEventId} ({@code <generation>.<seq>}, may be null) resumes strictly
   * after that chunk when it can; otherwise the reader starts over with a {@code reset}. {@code
   * onClose} is run when the reader closes its cursor.
   *
   * @throws ProblemException at the bound on readers per stream
   */
  Cursor attach(String lastEventId, Runnable onChange, Consumer<Cursor> onClose, long nowNanos) {
    Cursor cursor;
    synchronized (this) {
      if (readers >= limits.maxReadersPerStream()) {
        throw new ProblemException(
            ProblemKind.TOO_MANY_READERS, "this stream has too many readers");
      }
      readers++;
      claimed = true;
      touchedNanos = nowNanos;
      cursor = newCursorLocked(lastEventId, onChange, onClose);
      Runnable[] now = Arrays.copyOf(listeners, listeners.length + 1);
      now[now.length - 1] = onChange;
      listeners = now;
    }
    return cursor;
  }

  private Cursor newCursorLocked(String lastEventId, Runnable onChange, Consumer<Cursor> onClose) {
    if (lastEventId == null || lastEventId.isEmpty()) {
      return new Cursor(this, onChange, onClose, Cursor.Resume.NONE, 0, epoch);
    }
    long seq = EventIds.seqOf(lastEventId, number);
    if (seq >= 0 && epoch == 0 && seq < countLocked()) {
      return new Cursor(this, onChange, onClose, Cursor.Resume.EXACT, (int) seq + 1, epoch);
    }
    return new Cursor(this, onChange, onClose, Cursor.Resume.RESTART, 0, -1);
  }

  /**
   * Removes a reader. Returns true if it was the last reader of an unfinished generation, which is
   * unclaimed again: the caller must then arm the claim deadline.
   */
  synchronized boolean detach(Cursor cursor, long nowNanos) {
    Runnable[] now = listeners;
    for (int i = 0; i < now.length; i++) {
      if (now[i] == cursor.onChange()) {
        Runnable[] less = new Runnable[now.length - 1];
        System.arraycopy(now, 0, less, 0, i);
        System.arraycopy(now, i + 1, less, i, now.length - i - 1);
        listeners = less;
        readers--;
        touchedNanos = nowNanos;
        if (readers == 0 && state == State.OPEN && !released) {
          claimed = false;
          return true;
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

  /** What {@code cursor} has not seen yet; moves it on. */
  synchronized List<StreamEvent> read(Cursor cursor) {
    if (cursor.finished()) {
      return List.of();
    }
    int count = countLocked();
    List<StreamEvent> out = new ArrayList<>(Math.max(1, count - cursor.next() + 1));
    boolean live = cursor.markPolled();
    boolean immediate = state.ordinal() > State.FAILED.ordinal() || released;
    if (!immediate) {
      if (cursor.epoch() != epoch) {
        out.add(new StreamEvent.Reset(number));
        cursor.restart(epoch);
      }
      int seq = cursor.next();
      for (; seq < count; seq++) {
        out.add(
            new StreamEvent.Chunk(
                number, seq, text.delta(seq), createdMillis + text.lagMillis(seq), live));
      }
      cursor.moveTo(seq);
    }
    if (terminal != null) {
      out.add(terminal);
      cursor.finish();
    }
    return out;
  }

  private void signal() {
    for (Runnable listener : listeners) {
      listener.run();
    }
  }
}
