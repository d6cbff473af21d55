package io.jindouyun.devllm;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How one answer ended. Exactly one transition out of {@code RUNNING} wins (compare-and-set), so a
 * stream the client cancels is counted in {@link DevLlmServer#closedEarly()} exactly once, and an
 * answer the server itself ended (finished, error event, injected drop) is never counted, whatever
 * cancel or close signals reactor-netty delivers afterwards. Thread-safe.
 */
final class AnswerState {

  private static final int RUNNING = 0;
  private static final int FINISHED = 1;
  private static final int SERVER_ABORTED = 2;
  private static final int CLIENT_CLOSED = 3;

  private final AtomicInteger state = new AtomicInteger(RUNNING);
  private final Runnable onClientClosed;

  /**
   * @param onClientClosed run once when the client closed before the answer finished
   */
  AnswerState(Runnable onClientClosed) {
    this.onClientClosed = onClientClosed;
  }

  /** The server sent the last byte it meant to send ([DONE], an error event, a full body). */
  void finished() {
    state.compareAndSet(RUNNING, FINISHED);
  }

  /** The server is about to abort the connection on purpose (drop-mid). */
  void serverAborted() {
    state.compareAndSet(RUNNING, SERVER_ABORTED);
  }

  /** The answer was cancelled: the client went away unless the server ended it first. */
  void cancelled() {
    if (state.compareAndSet(RUNNING, CLIENT_CLOSED)) {
      onClientClosed.run();
    }
  }

  /** True once the client closed early. */
  boolean clientClosed() {
    return state.get() == CLIENT_CLOSED;
  }
}
