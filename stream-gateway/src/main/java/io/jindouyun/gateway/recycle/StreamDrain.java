package io.jindouyun.gateway.recycle;

import io.jindouyun.gateway.stream.StreamMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * On shutdown, ends every live stream before the web server's graceful shutdown waits for open
 * responses: SSE readers get a final {@code error} event and complete instead of holding the
 * shutdown until its timeout. Stops before the web server (higher phase).
 */
public final class StreamDrain implements SmartLifecycle {

  /** Stops before the web server's graceful shutdown (phase {@code DEFAULT_PHASE - 1024}). */
  static final int PHASE = SmartLifecycle.DEFAULT_PHASE;

  private static final Logger log = LoggerFactory.getLogger(StreamDrain.class);

  private final StreamMap streams;
  private volatile boolean running;

  /** Drains {@code streams} on stop. */
  public StreamDrain(StreamMap streams) {
    this.streams = streams;
  }

  @Override
  public void start() {
    running = true;
  }

  @Override
  public void stop() {
    running = false;
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
