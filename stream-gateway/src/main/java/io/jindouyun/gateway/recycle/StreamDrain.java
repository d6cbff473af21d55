package io.jindouyun.gateway.recycle;

import io.jindouyun.gateway.stream.StreamMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * On shutdown, ends every reader's response before the web server's graceful shutdown waits for
 * open responses, so they do not hold the shutdown until its timeout.
 *
 * <p>When the gateway's streams can be handed over (etcd claims; another gateway took its reply
 * partition over within the hand-over wait) the streams go on: nothing is cancelled upstream, and
 * each reader's response ends cleanly with a {@code retry:}, so it comes back with its {@code
 * Last-Event-ID} and the edge sends it to the gateway that now serves the stream. Otherwise every
 * live stream ends: readers get a final {@code error} event and running answers are cancelled.
 * Stops before the web server (higher phase).
 */
public final class StreamDrain implements SmartLifecycle {

  /** Stops before the web server's graceful shutdown (phase {@code DEFAULT_PHASE - 1024}). */
  static final int PHASE = SmartLifecycle.DEFAULT_PHASE;

  private static final Logger log = LoggerFactory.getLogger(StreamDrain.class);

  /** Hands the gateway's streams to another gateway. */
  @FunctionalInterface
  public interface HandOver {
    /** Hands the streams over; true if another gateway serves them now. May block, bounded. */
    boolean handOver();
  }

  private final StreamMap streams;
  private final HandOver handOver;
  private final Runnable endReaders;
  private volatile boolean running;

  /**
   * Drains {@code streams} on stop: by {@code handOver} and then {@code endReaders} (which ends
   * every reader's response without a terminal event) when the hand-over succeeds.
   */
  public StreamDrain(StreamMap streams, HandOver handOver, Runnable endReaders) {
    this.streams = streams;
    this.handOver = handOver;
    this.endReaders = endReaders;
  }

  /** Drains {@code streams} on stop by ending them; no hand-over. */
  public StreamDrain(StreamMap streams) {
    this(streams, () -> false, () -> {});
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    int live = streams.activeStreams();
    if (live > 0 && handOver.handOver()) {
      endReaders.run();
      log.info("handed {} live streams over to another gateway", live);
      return;
    }
    int ended = streams.closeAll();
    if (ended > 0) {
      log.info("ended {} live streams for shutdown", ended);
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
