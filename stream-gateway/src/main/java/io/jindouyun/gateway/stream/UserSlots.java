package io.jindouyun.gateway.stream;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The users' slots of the stream map: {@code userId -> UserSlot}, at most {@code maxUsers} of them,
 * each holding the user's current generation.
 *
 * <p>Concurrency: thread-safe and lock-free: a concurrent map, and compare-and-set on each slot's
 * current generation, where a newer generation wins. A slot whose warm time ran out is retired by
 * setting its current generation to a marker, so a racing handshake sees it, drops the slot and
 * takes a fresh one.
 */
final class UserSlots {

  private final ConcurrentHashMap<String, UserSlot> slots = new ConcurrentHashMap<>();
  private final Generation retired;
  private final int maxUsers;
  private final int historySize;

  UserSlots(StreamLimits limits) {
    // the marker charges its overhead to a budget of its own, not to the gateway's
    this.retired = new Generation("", "", Long.MAX_VALUE, 0, 0, new ByteBudget(0), limits);
    this.maxUsers = limits.maxUsers();
    this.historySize = limits.historySize();
  }

  /** Slots held, live or warm. */
  int size() {
    return slots.size();
  }

  /** The user's slot, or null. */
  UserSlot get(String userId) {
    return slots.get(userId);
  }

  /**
   * Checks that {@code userId} has a slot or there is room for one.
   *
   * @throws ProblemException UNAVAILABLE at the bound on users
   */
  void checkRoom(String userId) {
    if (slots.size() >= maxUsers && !slots.containsKey(userId)) {
      throw tooManyUsers();
    }
  }

  /**
   * The user's slot, created now if the user has none.
   *
   * @throws ProblemException UNAVAILABLE at the bound on users
   */
  UserSlot create(String userId, long nowNanos) {
    if (slots.size() >= maxUsers) {
      throw tooManyUsers();
    }
    return slots.computeIfAbsent(userId, id -> new UserSlot(id, historySize, nowNanos));
  }

  /**
   * Makes {@code gen} the slot's current generation. Returns the generation it replaced (null if
   * the slot was free); or, if the slot has been retired, drops it and returns a marker for which
   * {@link #isRetired} is true: the caller must start over with a fresh slot.
   *
   * @throws ProblemException SUPERSEDED if a newer generation is current
   */
  Generation install(UserSlot slot, Generation gen) {
    while (true) {
      Generation previous = slot.current();
      if (previous == retired) {
        slots.remove(slot.userId(), slot);
        return previous;
      }
      if (previous != null && previous.number() >= gen.number()) {
        throw new ProblemException(
            ProblemKind.SUPERSEDED, "a newer handshake of this user won", null, null);
      }
      if (slot.replaceCurrent(previous, gen)) {
        return previous;
      }
    }
  }

  private static ProblemException tooManyUsers() {
    return new ProblemException(
        ProblemKind.UNAVAILABLE, "too many users on this gateway", Duration.ofSeconds(1), null);
  }

  /** Whether {@code previous}, returned by {@link #install}, says the slot was retired. */
  boolean isRetired(Generation previous) {
    return previous == retired;
  }

  /** Frees the user's slot if {@code gen} is its current generation; returns the slot if so. */
  UserSlot release(Generation gen) {
    UserSlot slot = slots.get(gen.userId());
    return slot != null && slot.replaceCurrent(gen, null) ? slot : null;
  }

  /** Retires and drops {@code slot} if it is still free; false if it is in use again. */
  boolean retire(UserSlot slot) {
    if (slot.replaceCurrent(null, retired)) {
      slots.remove(slot.userId(), slot);
      return true;
    }
    return false;
  }
}
