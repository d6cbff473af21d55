package io.jindouyun.ipconfig.watch;

import io.jindouyun.contract.BadRecordException;
import io.jindouyun.contract.MetricsJson;
import io.jindouyun.contract.ServiceInstance;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;

/**
 * Reads the part of a metrics record that scoring uses: the snapshot JSON is read by the contract
 * ({@link MetricsJson}), then the values scoring relies on are checked: {@code timestampMs} &ge; 1,
 * {@code processCpu} finite and &le; 1.01, {@code avgTtftMs} finite and &ge; 0, the heap and
 * request counts &ge; 0; the TTFT signals finite, and &ge; 0 except {@code eventLoopLagMs}, {@code
 * cpuThrottled} and {@code gcPauseMsPerS}, where a negative value means unknown (a backend that
 * runs no loop probe, such as the llm-consumer, reports a lag of -1). Stateless.
 */
final class MetricsSampleDecoder {

  private MetricsSampleDecoder() {}

  static MetricsSample decode(ServiceInstance key, String json) throws BadRecordException {
    MetricsSnapshot s = MetricsJson.parse(key, json);
    long timestamp = atLeast("timestampMs", s.getTimestampMs(), 1);
    double cpu = finite("processCpu", s.getProcessCpu());
    if (cpu > 1.01) {
      throw new BadRecordException("processCpu must be <= 1, got " + cpu);
    }
    double ttft = nonNegative("avgTtftMs", s.getAvgTtftMs());
    return new MetricsSample(
        timestamp,
        cpu,
        atLeast("heapUsedBytes", s.getHeapUsedBytes(), 0),
        atLeast("heapMaxBytes", s.getHeapMaxBytes(), 0),
        atLeast("requestsTotal", s.getRequestsTotal(), 0),
        atLeast("requestsInFlight", s.getRequestsInFlight(), 0),
        atLeast("activeStreams", s.getActiveStreams(), 0),
        atLeast("errorsTotal", s.getErrorsTotal(), 0),
        ttft,
        finite("eventLoopLagMs", s.getEventLoopLagMs()),
        nonNegative("avgHandshakeMs", s.getAvgHandshakeMs()),
        atLeast("handshakesInFlight", s.getHandshakesInFlight(), 0),
        finite("cpuThrottled", s.getCpuThrottled()),
        finite("gcPauseMsPerS", s.getGcPauseMsPerS()),
        nonNegative("avgQueueWaitMs", s.getAvgQueueWaitMs()),
        nonNegative("avgUpstreamTtftMs", s.getAvgUpstreamTtftMs()));
  }

  private static double nonNegative(String name, double v) throws BadRecordException {
    finite(name, v);
    if (v < 0) {
      throw new BadRecordException(name + " must be >= 0, got " + v);
    }
    return v;
  }

  private static long atLeast(String name, long v, long min) throws BadRecordException {
    if (v < min) {
      throw new BadRecordException(
          name + " must be in " + min + ".." + Long.MAX_VALUE + ", got " + v);
    }
    return v;
  }

  private static double finite(String name, double v) throws BadRecordException {
    if (!Double.isFinite(v)) {
      throw new BadRecordException(name + " must be finite, got " + v);
    }
    return v;
  }
}
