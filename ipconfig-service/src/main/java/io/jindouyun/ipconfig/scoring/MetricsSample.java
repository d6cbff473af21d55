package io.jindouyun.ipconfig.scoring;

/**
 * The part of one exporter snapshot ({@code MetricsSnapshot}) that scoring uses. Negative CPU means
 * unknown; counters are totals since the instance started. Averages and rates cover the snapshot's
 * interval and are 0 when nothing happened.
 *
 * @param timestampMillis when the snapshot was taken (wall clock of the exporter's target)
 * @param processCpu process CPU load 0..1, negative when unknown
 * @param heapUsedBytes heap in use
 * @param heapMaxBytes heap limit, 0 when unknown
 * @param requestsTotal requests handled since start
 * @param requestsInFlight requests in flight now
 * @param activeStreams streams open now
 * @param errorsTotal errors since start
 * @param avgTtftMillis average time to first token over the last interval, 0 when none
 * @param eventLoopLagMillis p99 event-loop scheduling lag over the last second; negative when
 *     unknown
 * @param avgHandshakeMillis average handshake service time, &ge; 0 (0 when none)
 * @param handshakesInFlight handshakes being served now, &ge; 0
 * @param cpuThrottled share of CFS periods throttled, 0..1; negative when unknown
 * @param gcPauseMillisPerSecond GC pause per second of the interval; negative when unknown
 * @param avgQueueWaitMillis llm-consumer: average wait of a job before its LLM call, &ge; 0
 * @param avgUpstreamTtftMillis llm-consumer: average TTFT of the upstream LLM, &ge; 0
 */
public record MetricsSample(
    long timestampMillis,
    double processCpu,
    long heapUsedBytes,
    long heapMaxBytes,
    long requestsTotal,
    long requestsInFlight,
    long activeStreams,
    long errorsTotal,
    double avgTtftMillis,
    double eventLoopLagMillis,
    double avgHandshakeMillis,
    long handshakesInFlight,
    double cpuThrottled,
    double gcPauseMillisPerSecond,
    double avgQueueWaitMillis,
    double avgUpstreamTtftMillis) {

  /**
   * The TTFT a chat arriving now would see, as far as this sample tells: the average TTFT the
   * instance measured plus its event-loop lag (p99) when known; 0 when no TTFT was measured. A
   * gateway's clock for a chat starts when its event loop reads the handshake, so the time the
   * request waited for a late (CPU-starved, paused, GC-stopped) loop is not in {@code
   * avgTtftMillis}; the lag probe measures exactly that wait. The p99 rather than the mean, because
   * routing aims at the tail.
   */
  public double seenTtftMillis() {
    return avgTtftMillis > 0 ? avgTtftMillis + Math.max(0, eventLoopLagMillis) : 0;
  }

  /** A sample without the TTFT signals (all 0, throttling and GC unknown). */
  public MetricsSample(
      long timestampMillis,
      double processCpu,
      long heapUsedBytes,
      long heapMaxBytes,
      long requestsTotal,
      long requestsInFlight,
      long activeStreams,
      long errorsTotal,
      double avgTtftMillis) {
    this(
        timestampMillis,
        processCpu,
        heapUsedBytes,
        heapMaxBytes,
        requestsTotal,
        requestsInFlight,
        activeStreams,
        errorsTotal,
        avgTtftMillis,
        0,
        0,
        0,
        -1,
        -1,
        0,
        0);
  }
}
