package io.jindouyun.support.metrics;

/**
 * The agreed {@code jdy.*} meters at one instant, summed across tags. Times in milliseconds.
 *
 * @param requests count of {@code jdy.requests}
 * @param requestTimeMs total time of {@code jdy.requests}
 * @param inFlight {@code jdy.requests.active}
 * @param activeStreams {@code jdy.streams.active}
 * @param errors count of {@code jdy.errors}
 * @param ttftCount count of {@code jdy.ttft}
 * @param ttftTimeMs total time of {@code jdy.ttft}
 * @param tokens count of {@code jdy.tokens}
 * @param queueDepth {@code jdy.queue.depth}
 * @param consumerLag {@code jdy.consumer.lag}
 * @param handshakes count of {@code jdy.handshakes}
 * @param handshakeTimeMs total time of {@code jdy.handshakes}
 * @param handshakesActive {@code jdy.handshakes.active}
 * @param eventLoopLagMs {@code jdy.eventloop.lag} (the largest, when several are registered);
 *     negative when no such meter is registered
 * @param queueWaits count of {@code jdy.queue.wait}
 * @param queueWaitTimeMs total time of {@code jdy.queue.wait}
 * @param upstreamTtftCount count of {@code jdy.upstream.ttft}
 * @param upstreamTtftTimeMs total time of {@code jdy.upstream.ttft}
 */
public record MeterTotals(
    long requests,
    double requestTimeMs,
    long inFlight,
    long activeStreams,
    long errors,
    long ttftCount,
    double ttftTimeMs,
    double tokens,
    long queueDepth,
    long consumerLag,
    long handshakes,
    double handshakeTimeMs,
    long handshakesActive,
    double eventLoopLagMs,
    long queueWaits,
    double queueWaitTimeMs,
    long upstreamTtftCount,
    double upstreamTtftTimeMs) {

  /** Nothing measured: every count and gauge 0, the event-loop lag unknown (-1). */
  public static final MeterTotals ZERO =
      new MeterTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0);
}
