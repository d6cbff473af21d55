package io.jindouyun.gateway.stream;

import java.util.List;
import java.util.function.Consumer;

/**
 * One reader's position in a generation: the next seq to send and the buffer epoch it has seen. A
 * cursor belongs to one reader; {@link #poll()} returns what is new since the last call and is safe
 * to call from any thread, but calls for one cursor must not overlap. Its generation moves the
 * position, under the generation's monitor, through the package-private methods.
 */
public final class Cursor implements AutoCloseable {

  /** How an attach with an event id went. */
  public enum Resume {
    /** No event id was given. */
    NONE,
    /** Resumed strictly after the given event. */
    EXACT,
    /** The event could not be found; the reader starts over with a reset. */
    RESTART
  }

  private final Generation generation;
  private final Runnable onChange;
  private final Consumer<Cursor> onClose;
  private final Resume resume;
  private int next;
  private int epoch;
  private boolean polled;
  private boolean finished;
  private boolean closed;

  /**
   * A cursor at seq {@code next} of buffer epoch {@code epoch} (-1: none yet, the first poll starts
   * with a reset). {@code onClose} runs once, on the first {@link #close()}.
   */
  Cursor(
      Generation generation,
      Runnable onChange,
      Consumer<Cursor> onClose,
      Resume resume,
      int next,
      int epoch) {
    this.generation = generation;
    this.onChange = onChange;
    this.onClose = onClose;
    this.resume = resume;
    this.next = next;
    this.epoch = epoch;
  }

  /** The generation this cursor reads. */
  public Generation generation() {
    return generation;
  }

  /** How the attach resumed. */
  public Resume resume() {
    return resume;
  }

  /** Events since the last poll; after a terminal event, always empty. */
  public List<StreamEvent> poll() {
    return generation.read(this);
  }

  /** Whether the terminal event was returned. */
  public boolean finished() {
    return finished;
  }

  /** Detaches the reader; idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      onClose.accept(this);
    }
  }

  /** The wake-up this reader attached with. */
  Runnable onChange() {
    return onChange;
  }

  /** The next seq to return. */
  int next() {
    return next;
  }

  /** The buffer epoch the position is in. */
  int epoch() {
    return epoch;
  }

  /** Marks a poll; returns whether there was one before (its chunks are then live). */
  boolean markPolled() {
    boolean before = polled;
    polled = true;
    return before;
  }

  /** Starts over at the beginning of buffer epoch {@code epoch}. */
  void restart(int epoch) {
    this.epoch = epoch;
    this.next = 0;
  }

  /** Moves on to seq {@code next}. */
  void moveTo(int next) {
    this.next = next;
  }

  /** Marks the terminal event returned. */
  void finish() {
    finished = true;
  }
}
