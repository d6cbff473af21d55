package io.jindouyun.consumer.job;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * Out-of-order completion, in-order commits: records of each partition are registered when received
 * and marked finished in any order; {@link #finished} returns the handle of the highest offset
 * below which every record has finished (the one to commit), or empty when the prefix did not move.
 * A revoked partition is forgotten; tickets issued before are then ignored, so a job that finishes
 * after its partition moved to another consumer never commits.
 *
 * <p>Memory: one entry per tracked record; {@link FlowControl} pauses a partition before its
 * entries could exceed {@code max-uncommitted}.
 *
 * <p>Thread-safe (every method is synchronized; the work is O(log n)). Type parameters: {@code K}
 * the partition, {@code A} the commit handle.
 */
public final class OffsetTracker<K, A> {

  /** What {@link #received} hands out and {@link #finished} takes back. */
  public record Ticket<K>(K partition, long epoch, long offset) {}

  private static final class Pending<A> {
    final A handle;
    boolean done;

    Pending(A handle) {
      this.handle = handle;
    }
  }

  private record PartitionState<A>(long epoch, TreeMap<Long, Pending<A>> pending) {}

  private final Map<K, PartitionState<A>> partitions = new HashMap<>();
  private long epochs;
  private int tracked;

  /** Registers a received record; it counts as tracked until it is committable or revoked. */
  public synchronized Ticket<K> received(K partition, long offset, A handle) {
    PartitionState<A> state =
        partitions.computeIfAbsent(partition, p -> new PartitionState<>(++epochs, new TreeMap<>()));
    if (state.pending().putIfAbsent(offset, new Pending<>(handle)) == null) {
      tracked++;
    }
    return new Ticket<>(partition, state.epoch(), offset);
  }

  /**
   * Marks a record finished and, when the finished prefix moved, hands the handle of its new
   * highest offset to {@code commit} while still holding the lock, so commits of one partition are
   * issued in offset order even when jobs finish on several threads at once ({@code commit} must be
   * quick and must not call back into this tracker).
   */
  public synchronized void finished(Ticket<K> ticket, Consumer<A> commit) {
    finished(ticket).ifPresent(commit);
  }

  /**
   * Marks a record finished.
   *
   * @return the handle to commit (the highest offset of the newly finished prefix), or empty
   */
  public synchronized Optional<A> finished(Ticket<K> ticket) {
    PartitionState<A> state = partitions.get(ticket.partition());
    if (state == null || state.epoch() != ticket.epoch()) {
      return Optional.empty();
    }
    Pending<A> entry = state.pending().get(ticket.offset());
    if (entry == null) {
      return Optional.empty();
    }
    entry.done = true;
    A commit = null;
    while (!state.pending().isEmpty() && state.pending().firstEntry().getValue().done) {
      commit = state.pending().pollFirstEntry().getValue().handle;
      tracked--;
    }
    return Optional.ofNullable(commit);
  }

  /** Forgets a partition (revoked or lost); its outstanding tickets become void. */
  public synchronized void revoke(K partition) {
    PartitionState<A> state = partitions.remove(partition);
    if (state != null) {
      tracked -= state.pending().size();
    }
  }

  /** Records received and not yet committable (running, or finished behind a running one). */
  public synchronized int tracked() {
    return tracked;
  }

  /** Records of {@code partition} received and not yet committable. */
  public synchronized int tracked(K partition) {
    PartitionState<A> state = partitions.get(partition);
    return state == null ? 0 : state.pending().size();
  }
}
