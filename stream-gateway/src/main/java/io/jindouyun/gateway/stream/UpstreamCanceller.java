package io.jindouyun.gateway.stream;

/**
 * Tells the producers of an answer to stop (a cancel on {@code chat.control}). Must return at once
 * without blocking: it is called from the timer thread and from request threads.
 */
@FunctionalInterface
public interface UpstreamCanceller {

  /** Asks for the upstream call of this stream generation to be disposed. */
  void cancel(String streamId, long generation, String reason);
}
