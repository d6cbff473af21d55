package io.jindouyun.gateway.stream;

/**
 * Observes what the stream map does, for metrics. Methods are called on the thread that caused the
 * event (request, reply or timer thread) and must be quick and non-blocking.
 */
public interface StreamMapListener {

  /** Does nothing. */
  StreamMapListener NONE = new StreamMapListener() {};

  /** A generation was replaced by a newer one of the same user. */
  default void superseded() {}

  /** A cancel was sent upstream; {@code reason} says why. */
  default void cancelled(String reason) {}

  /** A deadline expired; kind is {@code claim}, {@code ack} or {@code warm}. */
  default void expired(String kind) {}

  /** A reader resumed from an event id; {@code exact} is false when it had to start over. */
  default void resumed(boolean exact) {}

  /** A chunk was added to a buffer. */
  default void chunkApplied() {}

  /** A chunk was dropped; reason is {@code stale}, {@code duplicate}, {@code zombie}, ... */
  default void chunkDropped(String reason) {}

  /** A handshake found its user's slot still warm and reused it. */
  default void slotReused() {}

  /**
   * A stream of a gone gateway was rebuilt from its first chunk on a reply partition taken over.
   */
  default void adopted() {}
}
