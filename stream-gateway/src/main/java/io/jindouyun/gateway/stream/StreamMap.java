package io.jindouyun.gateway.stream;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * The gateway's streams: {@code userId -> UserSlot} holding the user's current {@link Generation},
 * plus an index {@code streamId -> Generation} of the live ones.
 *
 * <p>A handshake opens a generation by compare-and-set on the slot: it wins only if its number is
 * greater than the current one's; the replaced generation is superseded (its readers get {@code
 * superseded}, a cancel goes upstream, its buffer is released). Chunks for a {@code (streamId,
 * generation)} that is not live are dropped.
 *
 * <p>Deadlines (claim, ack, warm, gap) run on the shared {@link Deadlines} timer and are checked
 * lazily: when one fires and the thing was touched since, it re-arms for the remaining time instead
 * of expiring. Each generation and slot has at most one pending deadline per kind.
 *
 * <p>Concurrency: thread-safe and lock-free at this level (concurrent maps, compare-and-set on
 * slots); each {@link Generation} guards its own state. Nothing here blocks, so it may be called
 * from event loops, the reply thread and the timer thread. A slot whose warm time ran out is
 * retired by setting its current generation to a marker, so a racing handshake sees it and takes a
 * fresh slot.
 */
public final class StreamMap {

  /** What {@link #open} did. */
  public record Opened(Generation generation, boolean reusedSlot) {}

  private static final String CLAIM = "claim";
  private static final String ACK = "ack";
  private static final String WARM = "warm";

  private final Generation retired;
  private final ConcurrentHashMap<String, UserSlot> slots = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Generation> byStreamId = new ConcurrentHashMap<>();
  private final StreamLimits limits;
  private final ByteBudget budget;
  private final GenerationClock clock;
  private final Deadlines deadlines;
  private final UpstreamCanceller canceller;
  private final StreamMapListener listener;
  private final LongSupplier nanos;
  private final LongSupplier millis;

  /** A map with the given bounds, timer, canceller and clocks. */
  public StreamMap(
      StreamLimits limits,
      GenerationClock clock,
      Deadlines deadlines,
      UpstreamCanceller canceller,
      StreamMapListener listener,
      LongSupplier nanos,
      LongSupplier millis) {
    this.limits = limits;
    this.budget = new ByteBudget(limits.globalByteBudget());
    this.clock = clock;
    this.deadlines = deadlines;
    this.canceller = canceller;
    this.listener = listener;
    this.nanos = nanos;
    this.millis = millis;
    this.retired = new Generation("", "", Long.MAX_VALUE, 0, 0, budget, limits);
  }

  /** Bytes buffered by all streams. */
  public long bufferedBytes() {
    return budget.used();
  }

  /** Live generations (open or finished and not yet released). */
  public int activeStreams() {
    return byStreamId.size();
  }

  /** User slots held, live or warm. */
  public int users() {
    return slots.size();
  }

  /** The user's last acknowledged stream ids, oldest first (empty if the slot is gone). */
  public List<String> delivered(String userId) {
    UserSlot slot = slots.get(userId);
    return slot == null ? List.of() : slot.delivered();
  }

  /**
   * Opens a new generation for {@code userId} under {@code streamId}.
   *
   * @throws ProblemException UNAVAILABLE over the global byte budget, the user bound or the timer
   *     bound; SUPERSEDED if a newer handshake of the same user won the race
   */
  public Opened open(String userId, String streamId) {
    if (budget.exhausted()) {
      throw new ProblemException(
          ProblemKind.UNAVAILABLE,
          "the gateway's byte budget is spent",
          Duration.ofSeconds(1),
          null);
    }
    long now = nanos.getAsLong();
    while (true) {
      UserSlot slot = slots.get(userId);
      boolean existed = slot != null;
      if (slot == null) {
        if (slots.size() >= limits.maxUsers()) {
          throw new ProblemException(
              ProblemKind.UNAVAILABLE,
              "too many users on this gateway",
              Duration.ofSeconds(1),
              null);
        }
        slot = slots.computeIfAbsent(userId, id -> new UserSlot(id, limits.historySize(), now));
      }
      slot.touch(now);
      Generation gen =
          new Generation(userId, streamId, clock.next(), now, millis.getAsLong(), budget, limits);
      byStreamId.put(streamId, gen);
      Generation previous;
      while (true) {
        previous = slot.current.get();
        if (previous == retired) {
          break;
        }
        if (previous != null && previous.number >= gen.number) {
          byStreamId.remove(streamId, gen);
          throw new ProblemException(
              ProblemKind.SUPERSEDED, "a newer handshake of this user won", null, null);
        }
        if (slot.current.compareAndSet(previous, gen)) {
          break;
        }
      }
      if (previous == retired) {
        byStreamId.remove(streamId, gen);
        slots.remove(userId, slot);
        continue;
      }
      if (previous != null) {
        supersede(previous, now);
      } else if (existed) {
        listener.slotReused();
      }
      synchronized (gen) {
        gen.claimArmed = true;
      }
      try {
        deadlines.schedule(claimDelay(), () -> checkClaim(gen));
      } catch (RejectedExecutionException e) {
        rollback(gen, "timer-full");
        throw new ProblemException(
            ProblemKind.UNAVAILABLE, "too many pending deadlines", Duration.ofSeconds(1), e);
      }
      return new Opened(gen, existed && previous == null);
    }
  }

  /**
   * Undoes {@link #open} after the job could not be sent: the generation ends, leaves the map and
   * its slot turns warm. A cancel is still published in case the job did reach the broker.
   */
  public void rollback(Generation gen, String reason) {
    long now = nanos.getAsLong();
    Generation.State before =
        gen.end(
            Generation.State.FAILED,
            new StreamEvent.Failed(StreamProblem.of(ProblemKind.UNAVAILABLE, reason)),
            now);
    if (before == Generation.State.OPEN) {
      canceller.cancel(gen.streamId, gen.number, reason);
    }
    retire(gen, now);
  }

  /** The live generation {@code streamId} if {@code userId} owns it, else null. */
  public Generation find(String userId, String streamId) {
    Generation gen = byStreamId.get(streamId);
    return gen != null && gen.userId.equals(userId) ? gen : null;
  }

  /**
   * Adds a reader to a stream of {@code userId}; {@code onChange} is run (on any thread, without
   * blocking) whenever the stream has something new for it.
   *
   * @throws ProblemException STREAM_NOT_FOUND if there is no such stream for this user,
   *     TOO_MANY_READERS at the reader bound
   */
  public Cursor attach(String userId, String streamId, String lastEventId, Runnable onChange) {
    Generation gen = find(userId, streamId);
    if (gen == null || gen.released()) {
      if (lastEventId != null && !lastEventId.isEmpty()) {
        listener.resumed(false);
      }
      throw notFound();
    }
    Cursor cursor = gen.attach(lastEventId, onChange, nanos.getAsLong());
    cursor.clock = nanos;
    cursor.onUnclaimed = () -> arm(claimDelay(), () -> checkClaim(gen), () -> expire(gen, CLAIM));
    if (cursor.resume != Cursor.Resume.NONE) {
      listener.resumed(cursor.resume == Cursor.Resume.EXACT);
    }
    return cursor;
  }

  /** Applies a chunk from the reply topic, or drops it if its generation is not live. */
  public void onChunk(IncomingChunk chunk) {
    Generation gen = byStreamId.get(chunk.streamId());
    if (gen == null || gen.number != chunk.generation()) {
      listener.chunkDropped("stale");
      return;
    }
    int result = gen.apply(chunk, nanos.getAsLong());
    if ((result & Generation.APPLIED) != 0) {
      listener.chunkApplied();
    }
    if ((result & Generation.DROPPED_STALE) != 0) {
      listener.chunkDropped("stale");
    } else if ((result & Generation.DROPPED_DUPLICATE) != 0) {
      listener.chunkDropped("duplicate");
    } else if ((result & Generation.DROPPED_ZOMBIE) != 0) {
      listener.chunkDropped("zombie");
    }
    if ((result & Generation.ARM_GAP) != 0) {
      arm(limits.gapWait().toNanos(), () -> checkGap(gen), () -> failGap(gen));
    }
    if ((result & Generation.OVERFLOW) != 0) {
      cancelUpstream(gen, "bounds");
    }
    if ((result & Generation.FINISHED) != 0) {
      armAck(gen);
    }
  }

  /**
   * Acknowledges a finished stream: the buffer is released, the slot stays warm, the stream id
   * joins the user's delivered history.
   *
   * @throws ProblemException STREAM_NOT_FOUND, or STREAM_NOT_FINISHED while it is still open
   */
  public void ack(String userId, String streamId) {
    Generation gen = find(userId, streamId);
    if (gen == null) {
      throw notFound();
    }
    if (gen.open()) {
      throw new ProblemException(
          ProblemKind.STREAM_NOT_FINISHED, "the stream is still running; cancel it instead");
    }
    if (!gen.ack()) {
      throw notFound();
    }
    UserSlot slot = slots.get(userId);
    if (slot != null) {
      slot.markDelivered(streamId);
    }
    retire(gen, nanos.getAsLong());
  }

  /**
   * Cancels a stream of {@code userId}: readers get {@code done} with finish reason {@code
   * cancelled}, a cancel goes upstream if it was still running, the slot turns warm.
   *
   * @throws ProblemException STREAM_NOT_FOUND
   */
  public void cancel(String userId, String streamId) {
    Generation gen = find(userId, streamId);
    if (gen == null) {
      throw notFound();
    }
    long now = nanos.getAsLong();
    Generation.State before =
        gen.end(Generation.State.CANCELLED, new StreamEvent.Done("cancelled", null), now);
    if (before == Generation.State.OPEN) {
      cancelUpstream(gen, "client");
    }
    retire(gen, now);
  }

  /**
   * Ends every live stream because the gateway is going away: readers get an {@code error} event
   * (unavailable; reconnect) so their responses complete, running answers are cancelled upstream
   * and buffers are released. Returns how many streams were ended.
   */
  public int closeAll() {
    long now = nanos.getAsLong();
    int ended = 0;
    for (Generation gen : List.copyOf(byStreamId.values())) {
      Generation.State before =
          gen.end(
              Generation.State.FAILED,
              new StreamEvent.Failed(
                  StreamProblem.of(
                      ProblemKind.UNAVAILABLE, "the gateway is shutting down; start a new chat")),
              now);
      if (before == Generation.State.OPEN) {
        cancelUpstream(gen, "shutdown");
      }
      retire(gen, now);
      ended++;
    }
    return ended;
  }

  private void supersede(Generation previous, long now) {
    Generation.State before =
        previous.end(Generation.State.SUPERSEDED, new StreamEvent.Superseded(previous.number), now);
    listener.superseded();
    if (before == Generation.State.OPEN) {
      cancelUpstream(previous, "superseded");
    }
    previous.release();
    byStreamId.remove(previous.streamId, previous);
  }

  /** Releases the buffer, drops the index entry and turns the slot warm if this was current. */
  private void retire(Generation gen, long now) {
    gen.release();
    byStreamId.remove(gen.streamId, gen);
    UserSlot slot = slots.get(gen.userId);
    if (slot != null && slot.current.compareAndSet(gen, null)) {
      slot.touch(now);
      armWarm(slot);
    }
  }

  private void cancelUpstream(Generation gen, String reason) {
    listener.cancelled(reason);
    canceller.cancel(gen.streamId, gen.number, reason);
  }

  private long claimDelay() {
    return limits.claimTimeout().toNanos();
  }

  private void checkClaim(Generation gen) {
    long next = gen.claimCheck(nanos.getAsLong());
    if (next > 0) {
      arm(next, () -> checkClaim(gen), () -> expire(gen, CLAIM));
    } else if (next == 0) {
      expire(gen, CLAIM);
    }
  }

  private void armAck(Generation gen) {
    synchronized (gen) {
      if (gen.ackArmed) {
        return;
      }
      gen.ackArmed = true;
    }
    arm(limits.ackTimeout().toNanos(), () -> checkAck(gen), () -> expire(gen, ACK));
  }

  private void checkAck(Generation gen) {
    long next = gen.ackCheck(nanos.getAsLong());
    if (next > 0) {
      arm(next, () -> checkAck(gen), () -> expire(gen, ACK));
    } else if (next == 0) {
      expire(gen, ACK);
    }
  }

  private void expire(Generation gen, String kind) {
    long now = nanos.getAsLong();
    Generation.State before =
        gen.end(
            Generation.State.EXPIRED,
            new StreamEvent.Failed(
                StreamProblem.of(
                    ProblemKind.STREAM_NOT_FOUND, "the stream expired (" + kind + ")")),
            now);
    if (before == null) {
      return;
    }
    listener.expired(kind);
    if (before == Generation.State.OPEN) {
      cancelUpstream(gen, "expired-" + kind);
    }
    retire(gen, now);
  }

  private void checkGap(Generation gen) {
    long next = gen.gapCheck(nanos.getAsLong());
    if (next > 0) {
      arm(next, () -> checkGap(gen), () -> failGap(gen));
    } else if (next == 0) {
      failGap(gen);
    }
  }

  private void failGap(Generation gen) {
    if (gen.fail(
        ProblemKind.STREAM_GAP, "a chunk of the answer never arrived", nanos.getAsLong())) {
      cancelUpstream(gen, "gap");
      armAck(gen);
    }
  }

  private void armWarm(UserSlot slot) {
    if (slot.warmArmed.compareAndSet(false, true)) {
      arm(limits.warmTimeout().toNanos(), () -> checkWarm(slot), () -> retireSlot(slot));
    }
  }

  private void checkWarm(UserSlot slot) {
    slot.warmArmed.set(false);
    if (slot.current.get() != null) {
      return; // in use again; re-armed when its generation ends
    }
    long remaining = limits.warmTimeout().toNanos() - (nanos.getAsLong() - slot.touchedNanos);
    if (remaining > 0) {
      if (slot.warmArmed.compareAndSet(false, true)) {
        arm(remaining, () -> checkWarm(slot), () -> retireSlot(slot));
      }
      return;
    }
    retireSlot(slot);
  }

  private void retireSlot(UserSlot slot) {
    slot.warmArmed.set(false);
    if (slot.current.compareAndSet(null, retired)) {
      slots.remove(slot.userId, slot);
      listener.expired(WARM);
    }
  }

  /** Schedules {@code task}; if the timer refuses, runs {@code fallback} now instead. */
  private void arm(long delayNanos, Runnable task, Runnable fallback) {
    try {
      deadlines.schedule(delayNanos, task);
    } catch (RejectedExecutionException e) {
      fallback.run();
    }
  }

  private static ProblemException notFound() {
    return new ProblemException(ProblemKind.STREAM_NOT_FOUND, "no such stream (or it has ended)");
  }
}
