package io.jindouyun.gateway.stream;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;

/**
 * The stream map's deadlines on the shared {@link Deadlines} timer: claim, ack, gap and lifetime
 * for each {@link Generation}, warm for each {@link UserSlot}.
 *
 * <p>Deadlines are lazy: none is cancelled early, except the lifetime deadline, which is cancelled
 * when its generation is released (it is the longest, so it would hold the timer's bound longest).
 * One that fires asks its generation or slot how much time is left: if it was touched since, the
 * deadline re-arms for the rest; if there is nothing left to wait for, it lapses; if the time is
 * up, it hands the generation or slot to the map's {@link Expiry}. Each generation and slot has at
 * most one pending deadline per {@link Kind}, recorded in its {@link Armed} flags, which only this
 * class reads or changes.
 *
 * <h2>When the timer is full</h2>
 *
 * A new generation must get its lifetime and claim deadlines, or it is not opened ({@link
 * #armOpened} throws; the handshake answers 503). Every later deadline of a generation (claim after
 * its last reader left, gap, ack) that the timer refuses is simply not armed: nothing is expired
 * early, so a full timer never turns a finished answer into an error or fails a stream whose
 * missing chunk is about to arrive. The lifetime deadline, which every live generation holds, then
 * stands in: it ends a stream still open at its maximum lifetime and releases a finished one once
 * its ack time has passed. A refused warm deadline retires the slot at once (it holds no answer).
 *
 * <p>Concurrency: thread-safe, lock-free and non-blocking; called from request threads, the reply
 * thread and the timer thread. A flag changes only by compare-and-set. A deadline that fires clears
 * its flag <em>before</em> it reads its generation's or slot's state, and a caller of an {@code
 * arm} method changes that state <em>before</em> it tries to set the flag; so either the firing
 * deadline sees the change and re-arms, or the caller finds the flag clear and arms: a change is
 * never left without a pending deadline, and two are never pending for one kind.
 */
final class StreamDeadlines {

  /** The kinds of deadline; the name in lower case is the {@code kind} given to listeners. */
  enum Kind {
    /** A generation without readers waits for one. */
    CLAIM,
    /** A finished generation waits for its ack. */
    ACK,
    /** A generation holding chunks behind a missing one waits for it. */
    GAP,
    /** A user slot without a current generation waits to be reused. */
    WARM,
    /** A generation lives at most its maximum lifetime (and a finished one until its ack time). */
    LIFETIME;

    private final int bit = 1 << ordinal();

    /** The kind as listeners and cancel reasons name it. */
    String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What the map does when a deadline's time is up. Called on the timer or the arming thread. */
  interface Expiry {

    /** The claim, ack or lifetime of {@code gen} is up. */
    void expire(Generation gen, Kind kind);

    /** The chunk {@code gen} waited for did not arrive in time. */
    void gapTimedOut(Generation gen);

    /** {@code slot} stayed unused for its whole warm time. */
    void warmTimedOut(UserSlot slot);
  }

  /**
   * Which deadlines of one generation or slot are pending, one bit per {@link Kind}. Held by its
   * generation or slot, read and changed only by {@link StreamDeadlines}.
   */
  static final class Armed {

    private static final VarHandle BITS;

    static {
      try {
        BITS = MethodHandles.lookup().findVarHandle(Armed.class, "bits", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private volatile int bits;
    private volatile Deadlines.Pending lifetime;

    /** Whether a deadline of {@code kind} is pending. */
    boolean armed(Kind kind) {
      return (bits & kind.bit) != 0;
    }

    /** Marks {@code kind} pending; false if it already was. */
    private boolean set(Kind kind) {
      while (true) {
        int now = bits;
        if ((now & kind.bit) != 0) {
          return false;
        }
        if (BITS.compareAndSet(this, now, now | kind.bit)) {
          return true;
        }
      }
    }

    private void clear(Kind kind) {
      BITS.getAndBitwiseAnd(this, ~kind.bit);
    }
  }

  private final Deadlines timer;
  private final StreamLimits limits;
  private final LongSupplier nanos;
  private final Expiry expiry;

  /** Deadlines on {@code timer} with the times of {@code limits}, read on {@code nanos}. */
  StreamDeadlines(Deadlines timer, StreamLimits limits, LongSupplier nanos, Expiry expiry) {
    this.timer = timer;
    this.limits = limits;
    this.nanos = nanos;
    this.expiry = expiry;
  }

  /**
   * Arms the lifetime and claim deadlines of a generation just opened.
   *
   * @throws RejectedExecutionException when the timer is full: the caller must undo the open
   */
  void armOpened(Generation gen) {
    Armed armed = gen.armed();
    armed.set(Kind.LIFETIME);
    armed.lifetime =
        timer.scheduleCancellable(fullTime(Kind.LIFETIME), () -> fire(gen, Kind.LIFETIME));
    armed.set(Kind.CLAIM);
    try {
      timer.schedule(fullTime(Kind.CLAIM), () -> fire(gen, Kind.CLAIM));
    } catch (RejectedExecutionException full) {
      disarm(gen);
      throw full;
    }
  }

  /** Cancels the lifetime deadline of a released generation, so it stops holding the timer. */
  void disarm(Generation gen) {
    Deadlines.Pending pending = gen.armed().lifetime;
    if (pending != null) {
      gen.armed().lifetime = null;
      pending.cancel();
    }
  }

  /**
   * Arms {@code kind} (claim, ack or gap) for {@code gen} for its full time unless one is pending.
   * Call it after the change that makes the deadline due (the last reader left, the generation
   * finished, a chunk is held behind a gap).
   */
  void arm(Generation gen, Kind kind) {
    if (gen.armed().set(kind)) {
      schedule(gen, kind, fullTime(kind));
    }
  }

  /** Arms the warm deadline of {@code slot} unless one is pending; call it after the slot idles. */
  void armWarm(UserSlot slot) {
    if (slot.armed().set(Kind.WARM)) {
      scheduleWarm(slot, fullTime(Kind.WARM));
    }
  }

  private long fullTime(Kind kind) {
    return switch (kind) {
      case CLAIM -> limits.claimTimeout().toNanos();
      case ACK -> limits.ackTimeout().toNanos();
      case GAP -> limits.gapWait().toNanos();
      case WARM -> limits.warmTimeout().toNanos();
      case LIFETIME -> limits.maxLifetime().toNanos();
    };
  }

  private void schedule(Generation gen, Kind kind, long delayNanos) {
    try {
      if (kind == Kind.LIFETIME) {
        gen.armed().lifetime = timer.scheduleCancellable(delayNanos, () -> fire(gen, kind));
      } else {
        timer.schedule(delayNanos, () -> fire(gen, kind));
      }
    } catch (RejectedExecutionException full) {
      // not armed: the lifetime deadline stands in (see the class comment)
      gen.armed().clear(kind);
    }
  }

  private void fire(Generation gen, Kind kind) {
    gen.armed().clear(kind);
    long left = gen.timeLeft(kind, nanos.getAsLong());
    if (left > 0) {
      if (gen.armed().set(kind)) {
        schedule(gen, kind, left);
      }
    } else if (left == 0) {
      due(gen, kind);
    }
  }

  private void due(Generation gen, Kind kind) {
    if (kind == Kind.GAP) {
      expiry.gapTimedOut(gen);
    } else {
      expiry.expire(gen, kind);
    }
  }

  private void scheduleWarm(UserSlot slot, long delayNanos) {
    try {
      timer.schedule(delayNanos, () -> fireWarm(slot));
    } catch (RejectedExecutionException full) {
      slot.armed().clear(Kind.WARM);
      expiry.warmTimedOut(slot);
    }
  }

  private void fireWarm(UserSlot slot) {
    slot.armed().clear(Kind.WARM);
    long left = slot.warmLeft(fullTime(Kind.WARM), nanos.getAsLong());
    if (left > 0) {
      if (slot.armed().set(Kind.WARM)) {
        scheduleWarm(slot, left);
      }
    } else if (left == 0) {
      expiry.warmTimedOut(slot);
    }
  }
}
