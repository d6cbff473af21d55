package io.jindouyun.ipconfig.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.contract.BadRecordException;
import io.jindouyun.contract.ServiceInstance;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import org.junit.jupiter.api.Test;

class MetricsSampleDecoderTests {

  private final ServiceInstance key = new ServiceInstance("stream-gateway", "gw-1");

  @Test
  void readsTheExporterJsonWithInt64AsStringsAndZerosOmitted() throws Exception {
    MetricsSample sample =
        MetricsSampleDecoder.decode(
            key,
            """
            {"service":"stream-gateway","instanceId":"gw-1","timestampMs":"1700000000000",
             "intervalMs":"1000","processCpu":0.25,"systemCpu":0.5,"heapUsedBytes":"256",
             "heapMaxBytes":"1024","processors":2,"requestsTotal":"40","activeStreams":"3",
             "errorsTotal":"2","avgTtftMs":120.5,"tokensPerSecond":10.0}
            """);
    assertThat(sample)
        .isEqualTo(
            new MetricsSample(
                1_700_000_000_000L, 0.25, 256, 1024, 40, 0, 3, 2, 120.5, 0, 0, 0, 0, 0, 0, 0));
  }

  @Test
  void readsTheSignalsThatPredictTtft() throws Exception {
    MetricsSample sample =
        MetricsSampleDecoder.decode(
            key,
            """
            {"timestampMs":"5","avgTtftMs":800,"eventLoopLagMs":120.5,"avgHandshakeMs":300,
             "handshakesInFlight":"7","cpuThrottled":0.6,"gcPauseMsPerS":12.5,
             "avgQueueWaitMs":40,"avgUpstreamTtftMs":90}
            """);
    assertThat(sample.eventLoopLagMillis()).isEqualTo(120.5);
    assertThat(sample.avgHandshakeMillis()).isEqualTo(300);
    assertThat(sample.handshakesInFlight()).isEqualTo(7);
    assertThat(sample.cpuThrottled()).isEqualTo(0.6);
    assertThat(sample.gcPauseMillisPerSecond()).isEqualTo(12.5);
    assertThat(sample.avgQueueWaitMillis()).isEqualTo(40);
    assertThat(sample.avgUpstreamTtftMillis()).isEqualTo(90);
  }

  @Test
  void negativeLagThrottlingAndGcPauseMeanUnknownAndAreKept() throws Exception {
    MetricsSample sample =
        MetricsSampleDecoder.decode(
            key,
            "{\"timestampMs\":\"1\",\"eventLoopLagMs\":-1,\"cpuThrottled\":-1,\"gcPauseMsPerS\":-1}");
    assertThat(sample.eventLoopLagMillis()).isEqualTo(-1.0);
    assertThat(sample.cpuThrottled()).isEqualTo(-1.0);
    assertThat(sample.gcPauseMillisPerSecond()).isEqualTo(-1.0);
  }

  @Test
  void rejectsNegativeOrNonFiniteSignals() {
    for (String field : new String[] {"avgHandshakeMs", "avgQueueWaitMs", "avgUpstreamTtftMs"}) {
      assertThatThrownBy(
              () ->
                  MetricsSampleDecoder.decode(key, "{\"timestampMs\":\"1\",\"" + field + "\":-3}"))
          .isInstanceOf(BadRecordException.class)
          .hasMessageContaining(field + " must be >= 0");
      assertThatThrownBy(
              () ->
                  MetricsSampleDecoder.decode(
                      key, "{\"timestampMs\":\"1\",\"" + field + "\":\"NaN\"}"))
          .hasMessageContaining(field + " must be finite");
    }
    assertThatThrownBy(
            () ->
                MetricsSampleDecoder.decode(
                    key, "{\"timestampMs\":\"1\",\"cpuThrottled\":\"Infinity\"}"))
        .hasMessageContaining("cpuThrottled must be finite");
    assertThatThrownBy(
            () ->
                MetricsSampleDecoder.decode(
                    key, "{\"timestampMs\":\"1\",\"handshakesInFlight\":\"-1\"}"))
        .hasMessageContaining("handshakesInFlight must be in 0..");
  }

  @Test
  void negativeCpuMeansUnknownAndIsKept() throws Exception {
    assertThat(
            MetricsSampleDecoder.decode(key, "{\"timestampMs\":\"1\",\"processCpu\":-1}")
                .processCpu())
        .isEqualTo(-1.0);
  }

  @Test
  void rejectsBadMetricValues() {
    assertThatThrownBy(
            () ->
                MetricsSampleDecoder.decode(key, "{\"timestampMs\":\"1\",\"processCpu\":\"NaN\"}"))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("processCpu must be finite");
    assertThatThrownBy(
            () -> MetricsSampleDecoder.decode(key, "{\"timestampMs\":\"1\",\"processCpu\":1.5}"))
        .hasMessageContaining("processCpu must be <= 1");
    assertThatThrownBy(
            () -> MetricsSampleDecoder.decode(key, "{\"timestampMs\":\"1\",\"avgTtftMs\":-2}"))
        .hasMessageContaining("avgTtftMs must be >= 0");
    assertThatThrownBy(() -> MetricsSampleDecoder.decode(key, "{\"processCpu\":0.1}"))
        .hasMessageContaining("timestampMs must be in 1..");
    assertThatThrownBy(
            () ->
                MetricsSampleDecoder.decode(
                    key, "{\"timestampMs\":\"1\",\"requestsTotal\":\"-5\"}"))
        .hasMessageContaining("requestsTotal must be in 0..");
    assertThatThrownBy(
            () ->
                MetricsSampleDecoder.decode(key, "{\"timestampMs\":\"1\",\"instanceId\":\"gw-2\"}"))
        .hasMessageContaining("do not match the key");
    assertThatThrownBy(() -> MetricsSampleDecoder.decode(key, "[]"))
        .hasMessageContaining("not a metrics snapshot JSON object");
  }
}
