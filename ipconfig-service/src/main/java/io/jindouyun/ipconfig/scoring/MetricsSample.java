package io.jindouyun.ipconfig.scoring;

/**
 * The part of one exporter snapshot ({@code MetricsSnapshot}) that scoring uses. Negative CPU means
 * unknown; counters are totals since the instance started.
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
    double avgTtftMillis) {}
