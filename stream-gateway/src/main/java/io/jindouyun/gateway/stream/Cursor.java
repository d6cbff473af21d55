package io.jindouyun.gateway.stream;

import java.util.List;
import java.util.function.LongSupplier;

/**
 * One reader's position in a generation: the next seq to send and the buffer epoch it has seen. A
 * cursor belongs to one reader; {@link #poll()} returns what is new since the last call and is safe
 * to call from any thread, but calls for one cursor must not overlap.
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

  final Generation generation;
  final Runnable onChange;
  int next;
  int epoch;
  int reads;
  boolean finished;
  Resume resume;
  LongSupplier clock = System::nanoTime;
  Runnable onUnclaimed = () -> {};
  private boolean closed;

  Cursor(Generation generation, Runnable onChange) {
    this.generation = generation;
    this.onChange = onChange;
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
      if (generation.detach(this, clock.getAsLong())) {
        onUnclaimed.run();
      }
    }
  }
}
