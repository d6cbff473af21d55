package io.jindouyun.edge;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A steady handshake load on the edge: {@code threads} threads, each on its own keep-alive
 * connection, each sending its next handshake as soon as the last one is answered, until closed.
 *
 * <p>Thread-safe: the counters are atomic; {@link #close()} stops and joins the threads (bounded).
 */
final class SteadyHandshakes implements AutoCloseable {

  private final ExecutorService pool;
  private final List<Future<?>> futures;
  private final AtomicInteger sent = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private volatile boolean running = true;

  private SteadyHandshakes(int port, int threads) {
    pool = Executors.newFixedThreadPool(threads);
    futures =
        EdgeClient.onConnections(
            pool,
            port,
            threads,
            (client, thread) -> {
              int n = 0;
              while (running) {
                EdgeClient.Handshake h =
                    EdgeClient.handshake(
                        client,
                        "Bearer " + EdgeClient.token("steady-" + thread + "-" + n++),
                        EdgeClient.HANDSHAKE_BODY);
                sent.incrementAndGet();
                if (h.status() != 202) {
                  failed.incrementAndGet();
                }
              }
            });
  }

  /** Starts {@code threads} threads of handshakes on the edge at {@code port}. */
  static SteadyHandshakes start(int port, int threads) {
    return new SteadyHandshakes(port, threads);
  }

  /** Handshakes that did not answer 202 so far. */
  int failed() {
    return failed.get();
  }

  /** Handshakes answered (any status) so far. */
  int sent() {
    return sent.get();
  }

  @Override
  public void close() throws Exception {
    running = false;
    try {
      for (Future<?> future : futures) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
