package io.jindouyun.gateway.stream;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The gateway's streams: {@link UserSlots} holding each user's current {@link Generation}, plus an
 * index {@code streamId -> Generation} of the live ones.
 *
 * <p>A handshake prepares a generation, sends its job, and only then commits it by compare-and-set
 * on the slot: it wins only if its number is greater than the current one's; the replaced
 * generation is superseded (its readers get {@code superseded}, a cancel goes upstream, its buffer
 * is released). Chunks for a {@code (streamId, generation)} that is not live are dropped. A newer
 * handshake of the same user on another gateway is ordered by the llm-consumer (the jobs topic's
 * offsets), which stops the older job and sends a {@code superseded} error chunk: {@link #onChunk}
 * ends the generation with {@code superseded} and retires it as a local supersede would.
 *
 * <p>Deadlines (claim, ack, warm, gap, lifetime) run on the shared {@link Deadlines} timer through
 * {@link StreamDeadlines} and are checked lazily: when one fires and the thing was touched since,
 * it re-arms for the remaining time instead of expiring. Each generation and slot has at most one
 * pending deadline per kind. Every stream ends: a generation still open at its maximum lifetime
 * ends with an {@code error} event (its upstream call is cancelled and its buffer released), and a
 * full timer never expires anything early (see {@link StreamDeadlines}).
 *
 * <p>Concurrency: thread-safe and lock-free at this level (concurrent maps, compare-and-set on
 * slots); each {@link Generation} guards its own state. Nothing here blocks, so it may be called
 * from event loops, the reply thread and the timer thread.
 */
public final class StreamMap {

  /** What {@link #open} did. */
  public record Opened(Generation generation, boolean reusedSlot) {}

  private final ConcurrentHashMap<String, Generation> byStreamId = new ConcurrentHashMap<>();
  private final UserSlots slots;
  private final StreamLimits limits;
  private final ByteBudget budget;
  private final GenerationClock clock;
  private final StreamDeadlines deadlines;
  private final UpstreamCanceller canceller;
  private final StreamMapListener listener;
  private final LongSupplier nanos;
  private final LongSupplier millis;
  private final Consumer<Cursor> detach = this::detach;

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
    this.slots = new UserSlots(limits);
    this.clock = clock;
    this.deadlines = new StreamDeadlines(deadlines, limits, nanos, new Expiry());
    this.canceller = canceller;
    this.listener = listener;
    this.nanos = nanos;
    this.millis = millis;
  }

  /**
   * Heap held by the buffers of all streams, as the byte budget counts it: a fixed overhead per
   * live generation, each answer's arrays at their capacity and the chunks held back.
   */
  public long bufferedBytes() {
    return budget.used();
  }

  /** The global byte budget that {@link #bufferedBytes} counts against. */
  public long byteBudget() {
    return limits.globalByteBudget();
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
   * Opens a new generation for {@code userId} under {@code streamId} and makes it the user's
   * current one at once: {@link #prepare} and {@link #commit} in one step.
   *
   * @throws ProblemException UNAVAILABLE over the global byte budget, the user bound or the timer
   *     bound; SUPERSEDED if a newer handshake of the same user won the race
   */
  public Opened open(String userId, String streamId) {
    Generation gen = prepare(userId, streamId);
    try {
      return commit(gen);
    } catch (ProblemException e) {
      discard(gen);
      throw e;
    }
  }

  /**
   * Creates a generation for {@code userId} under {@code streamId} and arms its deadlines, but
   * leaves the user's current generation alone: chunks for it are applied, yet it supersedes
   * nothing until {@link #commit}. A handshake prepares, sends the job, and commits only once the
   * job is accepted; if the send fails it calls {@link #rollback} and the user's running stream is
   * untouched.
   *
   * @throws ProblemException UNAVAILABLE over the global byte budget, the user bound or the timer
   *     bound
   */
  public Generation prepare(String userId, String streamId) {
    if (budget.exhausted()) {
      throw unavailable("the gateway's byte budget is spent", null);
    }
    slots.checkRoom(userId);
    Generation gen =
        new Generation(
            userId, streamId, clock.next(), nanos.getAsLong(), millis.getAsLong(), budget, limits);
    byStreamId.put(streamId, gen);
    try {
      deadlines.armOpened(gen);
    } catch (RejectedExecutionException e) {
      discard(gen);
      throw unavailable("too many pending deadlines", e);
    }
    return gen;
  }

  /**
   * Makes a prepared generation its user's current one by compare-and-set on the slot (newer wins);
   * the generation it replaces is superseded: its readers get {@code superseded}, a cancel goes
   * upstream and its buffer is released.
   *
   * @throws ProblemException SUPERSEDED if a newer handshake of the same user won the race,
   *     UNAVAILABLE at the user bound or if the generation ended meanwhile (then the caller rolls
   *     it back)
   */
  public Opened commit(Generation gen) {
    long now = nanos.getAsLong();
    while (true) {
      UserSlot slot = slots.get(gen.userId());
      boolean existed = slot != null;
      if (slot == null) {
        slot = slots.create(gen.userId(), now);
      }
      slot.touch(now);
      Generation previous = slots.install(slot, gen);
      if (slots.isRetired(previous)) {
        continue;
      }
      if (previous != null) {
        supersede(previous, now);
      } else if (existed) {
        listener.slotReused();
      }
      if (gen.released()) { // it ended (expired, drained) before it was committed
        retire(gen, now);
        throw unavailable("the stream ended before its job was queued", null);
      }
      return new Opened(gen, existed && previous == null);
    }
  }

  /** Drops a generation that was never committed and whose job was never sent. */
  private void discard(Generation gen) {
    gen.end(
        Generation.State.FAILED, failed(ProblemKind.UNAVAILABLE, "not opened"), nanos.getAsLong());
    release(gen);
  }

  /**
   * Undoes {@link #prepare} (and {@link #commit}) after the job could not be sent: the generation
   * ends and leaves the map; if it was committed, its slot turns warm. A cancel is still published
   * in case the job did reach the broker.
   */
  public void rollback(Generation gen, String reason) {
    long now = nanos.getAsLong();
    Generation.State before =
        gen.end(Generation.State.FAILED, failed(ProblemKind.UNAVAILABLE, reason), now);
    if (before == Generation.State.OPEN) {
      canceller.cancel(gen.streamId(), gen.number(), reason);
    }
    retire(gen, now);
  }

  /** The live generation {@code streamId} if {@code userId} owns it, else null. */
  public Generation find(String userId, String streamId) {
    Generation gen = byStreamId.get(streamId);
    return gen != null && gen.userId().equals(userId) ? gen : null;
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
    Cursor cursor = gen.attach(lastEventId, onChange, detach, nanos.getAsLong());
    if (cursor.resume() != Cursor.Resume.NONE) {
      listener.resumed(cursor.resume() == Cursor.Resume.EXACT);
    }
    return cursor;
  }

  /** A cursor closed: its generation may be unclaimed again. */
  private void detach(Cursor cursor) {
    Generation gen = cursor.generation();
    if (gen.detach(cursor, nanos.getAsLong())) {
      deadlines.arm(gen, StreamDeadlines.Kind.CLAIM);
    }
  }

  /** Applies a chunk from the reply topic, or drops it if its generation is not live. */
  public void onChunk(IncomingChunk chunk) {
    Generation gen = byStreamId.get(chunk.streamId());
    if (gen == null || gen.number() != chunk.generation()) {
      listener.chunkDropped(ApplyResult.Drop.STALE.reason());
      return;
    }
    ApplyResult result = gen.apply(chunk, nanos.getAsLong());
    if (result.applied()) {
      listener.chunkApplied();
    }
    if (result.dropped() != null) {
      listener.chunkDropped(result.dropped().reason());
    }
    if (result.awaitingGap()) {
      deadlines.arm(gen, StreamDeadlines.Kind.GAP);
    }
    if (result.overflow()) {
      cancelUpstream(gen, "bounds");
    }
    if (result.finished() && gen.state() == Generation.State.SUPERSEDED) {
      // a newer handshake of the user on another gateway won (the consumer's fleet-wide order);
      // the consumer has stopped the call already
      listener.superseded();
      retire(gen, nanos.getAsLong());
    } else if (result.finished()) {
      deadlines.arm(gen, StreamDeadlines.Kind.ACK);
    }
  }

  /**
   * Applies a chunk read from the reply partition of a gone gateway that this one took over. A
   * stream not known here is rebuilt from the first chunk of an attempt (seq 0, which names the
   * owner {@code userId}): a generation with the chunk's stream id and number, which is not made
   * its user's current one (the llm-consumer orders a user's generations across the fleet, and ends
   * a superseded one with a {@code superseded} chunk). Its handshake time is read from its number
   * (the handshake's wall clock in microseconds); a stream older than the maximum lifetime is not
   * rebuilt. Its claim and lifetime deadlines run from now: a reader has the claim timeout to come
   * back, and it lives at most the maximum lifetime here. Its first token is not counted as a time
   * to first token. Every other chunk is applied as {@link #onChunk} applies it; a stream that
   * ended longer than the ack timeout ago (by its last chunk's Kafka time) is released at once, so
   * a replay keeps ended streams only as long as a live one would be kept.
   *
   * @param nowMillis wall clock now, milliseconds since the epoch
   * @return the generation the chunk went to, or null if it was dropped
   */
  public Generation onAdoptedChunk(String userId, IncomingChunk chunk, long nowMillis) {
    Generation gen = byStreamId.get(chunk.streamId());
    if (gen == null && chunk.seq() == 0 && userId != null && !userId.isEmpty()) {
      gen = adopt(userId, chunk, nowMillis);
    }
    if (gen == null) {
      listener.chunkDropped(ApplyResult.Drop.STALE.reason());
      return null;
    }
    onChunk(chunk);
    if (!gen.open() && nowMillis - chunk.timestampMs() > limits.ackTimeout().toMillis()) {
      retire(gen, nanos.getAsLong());
    }
    return gen;
  }

  /** Whether a generation of {@code streamId} (of any user) is held here and not released. */
  public boolean holdsStream(String streamId) {
    Generation gen = byStreamId.get(streamId);
    return gen != null && !gen.released();
  }

  /** Whether {@code gen} is still held (not yet released from the map). */
  public boolean holds(Generation gen) {
    return byStreamId.get(gen.streamId()) == gen;
  }

  private Generation adopt(String userId, IncomingChunk chunk, long nowMillis) {
    long handshakeMillis = chunk.generation() / 1000;
    if (handshakeMillis <= 0 || handshakeMillis > chunk.timestampMs()) {
      handshakeMillis = chunk.timestampMs(); // not a wall-clock number: the first chunk's time
    }
    if (nowMillis - handshakeMillis >= limits.maxLifetime().toMillis() || budget.exhausted()) {
      return null;
    }
    Generation gen =
        new Generation(
            userId,
            chunk.streamId(),
            chunk.generation(),
            nanos.getAsLong(),
            handshakeMillis,
            budget,
            limits);
    gen.markFirstWritten();
    Generation raced = byStreamId.putIfAbsent(chunk.streamId(), gen);
    if (raced != null) {
      return raced;
    }
    try {
      deadlines.armOpened(gen);
    } catch (RejectedExecutionException e) {
      gen.release();
      byStreamId.remove(gen.streamId(), gen);
      return null;
    }
    listener.adopted();
    return gen;
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
   * Acknowledges a finished stream of {@code userId} up to {@code lastEventId}: as {@link
   * #ack(String, String)}, after checking that the id (when not null or empty) names a chunk of the
   * stream's generation.
   *
   * @throws ProblemException VALIDATION naming {@code lastEventId}, or as {@link #ack(String,
   *     String)}
   */
  public void ack(String userId, String streamId, String lastEventId) {
    if (lastEventId != null && !lastEventId.isEmpty()) {
      Generation gen = find(userId, streamId);
      if (gen == null) {
        throw notFound();
      }
      if (!gen.hasChunk(lastEventId)) {
        throw new ProblemException(
            ProblemKind.VALIDATION,
            "lastEventId \""
                + lastEventId
                + "\" names no chunk of this stream (ids are <generation>.<seq>, generation "
                + gen.number()
                + ")");
      }
    }
    ack(userId, streamId);
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
    end(gen, Generation.State.CANCELLED, new StreamEvent.Done("cancelled", null), "client");
  }

  /**
   * Lets go of a generation that was prepared but never committed (an independent API request) once
   * its one reader is done: if it is still running it ends as cancelled and the cancel goes
   * upstream (the client went away); it then leaves the map. It joins no delivered history and
   * touches no user slot. Idempotent.
   */
  public void close(Generation gen) {
    end(gen, Generation.State.CANCELLED, new StreamEvent.Done("cancelled", null), "client");
  }

  /**
   * Ends every live stream because the gateway is going away: readers get an {@code error} event
   * (unavailable; reconnect) so their responses complete, running answers are cancelled upstream
   * and buffers are released. Returns how many streams were ended.
   */
  public int closeAll() {
    StreamEvent event =
        failed(ProblemKind.UNAVAILABLE, "the gateway is shutting down; start a new chat");
    int ended = 0;
    for (Generation gen : List.copyOf(byStreamId.values())) {
      end(gen, Generation.State.FAILED, event, "shutdown");
      ended++;
    }
    return ended;
  }

  /** Ends {@code gen}, cancels it upstream if it was still running, and retires it. */
  private void end(Generation gen, Generation.State to, StreamEvent event, String cancelReason) {
    long now = nanos.getAsLong();
    if (gen.end(to, event, now) == Generation.State.OPEN) {
      cancelUpstream(gen, cancelReason);
    }
    retire(gen, now);
  }

  private void supersede(Generation previous, long now) {
    Generation.State before =
        previous.end(
            Generation.State.SUPERSEDED, new StreamEvent.Superseded(previous.number()), now);
    listener.superseded();
    if (before == Generation.State.OPEN) {
      cancelUpstream(previous, "superseded");
    }
    release(previous);
  }

  /** Releases the buffer, drops the index entry and turns the slot warm if this was current. */
  private void retire(Generation gen, long now) {
    release(gen);
    UserSlot slot = slots.release(gen);
    if (slot != null) {
      slot.touch(now);
      deadlines.armWarm(slot);
    }
  }

  /** Drops the buffer, the index entry and the lifetime deadline of {@code gen}. */
  private void release(Generation gen) {
    gen.release();
    byStreamId.remove(gen.streamId(), gen);
    deadlines.disarm(gen);
  }

  private void cancelUpstream(Generation gen, String reason) {
    listener.cancelled(reason);
    canceller.cancel(gen.streamId(), gen.number(), reason);
  }

  /** What the map does when a deadline's time is up (on the timer or the arming thread). */
  private final class Expiry implements StreamDeadlines.Expiry {

    @Override
    public void expire(Generation gen, StreamDeadlines.Kind kind) {
      String label = kind.label();
      long now = nanos.getAsLong();
      StreamEvent event =
          kind == StreamDeadlines.Kind.LIFETIME
              ? failed(
                  ProblemKind.STREAM_EXPIRED,
                  "the stream outlived its maximum lifetime of " + limits.maxLifetime())
              : failed(ProblemKind.STREAM_NOT_FOUND, "the stream expired (" + label + ")");
      Generation.State before = gen.end(Generation.State.EXPIRED, event, now);
      if (before == null) {
        return;
      }
      listener.expired(label);
      if (before == Generation.State.OPEN) {
        cancelUpstream(gen, "expired-" + label);
      }
      retire(gen, now);
    }

    @Override
    public void gapTimedOut(Generation gen) {
      if (gen.fail(
          ProblemKind.STREAM_GAP, "a chunk of the answer never arrived", nanos.getAsLong())) {
        cancelUpstream(gen, "gap");
        deadlines.arm(gen, StreamDeadlines.Kind.ACK);
      }
    }

    @Override
    public void warmTimedOut(UserSlot slot) {
      if (slots.retire(slot)) {
        listener.expired(StreamDeadlines.Kind.WARM.label());
      }
    }
  }

  private static StreamEvent failed(ProblemKind kind, String detail) {
    return new StreamEvent.Failed(StreamProblem.of(kind, detail));
  }

  private static ProblemException unavailable(String detail, Throwable cause) {
    return new ProblemException(ProblemKind.UNAVAILABLE, detail, Duration.ofSeconds(1), cause);
  }

  private static ProblemException notFound() {
    return new ProblemException(ProblemKind.STREAM_NOT_FOUND, "no such stream (or it has ended)");
  }
}
