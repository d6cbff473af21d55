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
    long consumerLag) {

  /** Nothing measured. */
  public static final MeterTotals ZERO = new MeterTotals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}
