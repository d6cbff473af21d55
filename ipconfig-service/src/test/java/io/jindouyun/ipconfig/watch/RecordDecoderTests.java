package io.jindouyun.ipconfig.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.ipconfig.ranking.Instance;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class RecordDecoderTests {

  private final RecordDecoder decoder = new RecordDecoder(JsonMapper.builder().build());
  private final RecordDecoder.KeyParts key = new RecordDecoder.KeyParts("stream-gateway", "gw-1");

  @Test
  void readsTheExporterJsonWithInt64AsStringsAndZerosOmitted() throws Exception {
    MetricsSample sample =
        decoder.metrics(
            key,
            """
            {"service":"stream-gateway","instanceId":"gw-1","timestampMs":"1700000000000",
             "intervalMs":"1000","processCpu":0.25,"systemCpu":0.5,"heapUsedBytes":"256",
             "heapMaxBytes":"1024","processors":2,"requestsTotal":"40","activeStreams":"3",
             "errorsTotal":"2","avgTtftMs":120.5,"tokensPerSecond":10.0}
            """);
    assertThat(sample)
        .isEqualTo(new MetricsSample(1_700_000_000_000L, 0.25, 256, 1024, 40, 0, 3, 2, 120.5));
  }

  @Test
  void rejectsBadMetricValues() {
    assertThatThrownBy(() -> decoder.metrics(key, "{\"timestampMs\":\"1\",\"processCpu\":\"NaN\"}"))
        .hasMessageContaining("processCpu must be finite");
    assertThatThrownBy(() -> decoder.metrics(key, "{\"processCpu\":0.1}"))
        .hasMessageContaining("timestampMs must be in 1..");
    assertThatThrownBy(
            () -> decoder.metrics(key, "{\"timestampMs\":\"1\",\"requestsTotal\":\"-5\"}"))
        .hasMessageContaining("requestsTotal must be in 0..");
    assertThatThrownBy(
            () -> decoder.metrics(key, "{\"timestampMs\":\"1\",\"instanceId\":\"gw-2\"}"))
        .hasMessageContaining("do not match the key");
    assertThatThrownBy(() -> decoder.metrics(key, "[]")).hasMessageContaining("not a JSON object");
  }

  @Test
  void readsAnInstanceAndChecksItAgainstItsKey() throws Exception {
    Instance instance =
        decoder.instance(
            key,
            """
            {"id":"gw-1","service":"stream-gateway","host":"10.0.0.7","httpPort":8081,
             "grpcPort":9081,"zone":"a","version":"0.1.0","startedAt":"2026-11-22T05:00:00Z"}
            """);
    assertThat(instance)
        .isEqualTo(
            new Instance(
                "gw-1",
                "stream-gateway",
                "10.0.0.7",
                8081,
                9081,
                "a",
                "0.1.0",
                "2026-11-22T05:00:00Z"));
    assertThatThrownBy(
            () -> decoder.instance(key, "{\"id\":\"gw-9\",\"host\":\"h\",\"httpPort\":1}"))
        .hasMessageContaining("do not match the key");
    assertThatThrownBy(() -> decoder.instance(key, "{\"httpPort\":8081}"))
        .hasMessageContaining("host is required");
    assertThatThrownBy(() -> decoder.instance(key, "{\"host\":\"h\"}"))
        .hasMessageContaining("httpPort must be in 1..65535");
  }

  @Test
  void splitsKeysIntoServiceAndId() throws Exception {
    assertThat(RecordDecoder.keyParts("llm-consumer/c-1"))
        .isEqualTo(new RecordDecoder.KeyParts("llm-consumer", "c-1"));
    assertThatThrownBy(() -> RecordDecoder.keyParts("llm-consumer"))
        .isInstanceOf(BadRecordException.class);
    assertThatThrownBy(() -> RecordDecoder.keyParts("a/b/c"))
        .isInstanceOf(BadRecordException.class);
    assertThatThrownBy(() -> RecordDecoder.keyParts("svc/a~b"))
        .isInstanceOf(BadRecordException.class);
  }
}
