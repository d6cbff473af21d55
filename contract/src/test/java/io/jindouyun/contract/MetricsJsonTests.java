package io.jindouyun.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import org.junit.jupiter.api.Test;

class MetricsJsonTests {

  private static final ServiceInstance KEY = new ServiceInstance("stream-gateway", "gw-1");

  /** The wire names, written out once: renaming a proto field must fail here. */
  @Test
  void theFieldsAreTheSnapshotsInLowerCamel() {
    assertThat(MetricsJson.FIELDS)
        .containsExactly(
            "service",
            "instanceId",
            "timestampMs",
            "intervalMs",
            "processCpu",
            "systemCpu",
            "heapUsedBytes",
            "heapMaxBytes",
            "rssBytes",
            "processors",
            "requestsTotal",
            "requestsInFlight",
            "activeStreams",
            "errorsTotal",
            "avgLatencyMs",
            "avgTtftMs",
            "tokensPerSecond",
            "queueDepth",
            "consumerLag",
            "eventLoopLagMs",
            "avgHandshakeMs",
            "handshakesInFlight",
            "cpuThrottled",
            "gcPauseMsPerS",
            "avgQueueWaitMs",
            "avgUpstreamTtftMs");
  }

  @Test
  void printsEveryFieldZerosToInt64AsStringsWithoutWhitespace() {
    String json =
        MetricsJson.print(
            MetricsSnapshot.newBuilder()
                .setService("stream-gateway")
                .setInstanceId("gw-1")
                .setActiveStreams(3)
                .setAvgTtftMs(12.5)
                .setHandshakesInFlight(2)
                .setCpuThrottled(-1)
                .build());

    for (String field : MetricsJson.FIELDS) {
      assertThat(json).contains("\"" + field + "\":");
    }
    assertThat(json)
        .contains("\"activeStreams\":\"3\"")
        .contains("\"avgTtftMs\":12.5")
        .contains("\"errorsTotal\":\"0\"")
        .contains("\"handshakesInFlight\":\"2\"")
        .contains("\"cpuThrottled\":-1.0")
        .contains("\"eventLoopLagMs\":0.0")
        .doesNotContain(" ")
        .doesNotContain("\n");
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    MetricsSnapshot snapshot =
        MetricsSnapshot.newBuilder()
            .setService("stream-gateway")
            .setInstanceId("gw-1")
            .setTimestampMs(1_700_000_000_000L)
            .setProcessCpu(0.25)
            .setHeapUsedBytes(256)
            .setProcessors(2)
            .setConsumerLag(7)
            .setEventLoopLagMs(3.5)
            .setAvgHandshakeMs(4.25)
            .setCpuThrottled(0.4)
            .setGcPauseMsPerS(12)
            .setAvgQueueWaitMs(30)
            .setAvgUpstreamTtftMs(250)
            .build();
    assertThat(MetricsJson.parse(KEY, MetricsJson.print(snapshot))).isEqualTo(snapshot);
  }

  @Test
  void readsInt64AsStringsOrNumbersWithZerosOmittedAndNamesFromTheKey() throws Exception {
    MetricsSnapshot read =
        MetricsJson.parse(
            KEY,
            """
            {"timestampMs":"1700000000000","requestsTotal":40,"processCpu":"0.5",
             "avgTtftMs":"NaN","somethingNew":true}
            """);
    assertThat(read.getService()).isEqualTo("stream-gateway");
    assertThat(read.getInstanceId()).isEqualTo("gw-1");
    assertThat(read.getTimestampMs()).isEqualTo(1_700_000_000_000L);
    assertThat(read.getRequestsTotal()).isEqualTo(40);
    assertThat(read.getProcessCpu()).isEqualTo(0.5);
    assertThat(read.getAvgTtftMs()).isNaN();
    assertThat(read.getErrorsTotal()).isZero();
  }

  @Test
  void badJsonIsRejectedWithTheReason() {
    assertThatThrownBy(() -> MetricsJson.parse(KEY, "[]"))
        .isInstanceOf(BadRecordException.class)
        .hasMessageStartingWith("not a metrics snapshot JSON object: ");
    assertThatThrownBy(() -> MetricsJson.parse(KEY, "{not json"))
        .hasMessageStartingWith("not a metrics snapshot JSON object: ");
    assertThatThrownBy(() -> MetricsJson.parse(KEY, "{\"requestsTotal\":\"many\"}"))
        .hasMessageStartingWith("not a metrics snapshot JSON object: ");
    assertThatThrownBy(() -> MetricsJson.parse(KEY, "{\"instanceId\":\"gw-2\"}"))
        .hasMessage("service/instanceId do not match the key stream-gateway/gw-1");
    assertThatThrownBy(() -> MetricsJson.parse(KEY, "{\"service\":\"llm-consumer\"}"))
        .hasMessage("service/instanceId do not match the key stream-gateway/gw-1");
  }
}
