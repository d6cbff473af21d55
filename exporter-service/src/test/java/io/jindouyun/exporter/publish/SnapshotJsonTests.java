package io.jindouyun.exporter.publish;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class SnapshotJsonTests {

  @Test
  void everyFieldIsPrintedInLowerCamelEvenWhenZero() {
    String json =
        SnapshotJson.print(
            MetricsSnapshot.newBuilder()
                .setService("stream-gateway")
                .setInstanceId("gw-1")
                .setActiveStreams(3)
                .setAvgTtftMs(12.5)
                .build());

    JsonNode node = JsonMapper.builder().build().readTree(json);
    assertThat(node.propertyNames())
        .containsExactlyInAnyOrder(
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
            "consumerLag");
    assertThat(node.get("activeStreams").asString()).isEqualTo("3"); // int64 as a string
    assertThat(node.get("avgTtftMs").asDouble()).isEqualTo(12.5);
    assertThat(node.get("errorsTotal").asString()).isEqualTo("0");
    assertThat(json).doesNotContain(" ").doesNotContain("\n");
  }
}
