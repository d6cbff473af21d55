package io.jindouyun.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InstanceRecordTests {

  private static final ServiceInstance KEY = new ServiceInstance("stream-gateway", "gw-1");
  private static final InstanceRecord GW1 =
      new InstanceRecord(
          "gw-1", "stream-gateway", "10.0.0.7", 8081, 9081, "a", "0.1.0", "2026-11-22T05:00:00Z");

  @Test
  void writesEveryFieldInItsOrder() {
    assertThat(GW1.toJson())
        .isEqualTo(
            "{\"id\":\"gw-1\",\"service\":\"stream-gateway\",\"host\":\"10.0.0.7\","
                + "\"httpPort\":8081,\"grpcPort\":9081,\"zone\":\"a\",\"version\":\"0.1.0\","
                + "\"startedAt\":\"2026-11-22T05:00:00Z\"}");
  }

  @Test
  void roundTripsThroughJson() throws Exception {
    assertThat(InstanceRecord.fromJson(KEY, GW1.toJson())).isEqualTo(GW1);
  }

  @Test
  void missingFieldsTakeTheKeysNamesEmptyTextAndZeroPorts() throws Exception {
    assertThat(InstanceRecord.fromJson(KEY, "{\"grpcPort\":\"9081\",\"extra\":[1]}"))
        .isEqualTo(new InstanceRecord("gw-1", "stream-gateway", "", 0, 9081, "", "", ""));
  }

  @Test
  void badJsonIsRejectedWithTheReason() {
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{not json"))
        .isInstanceOf(BadRecordException.class)
        .hasMessageStartingWith("not JSON: ");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "[1]")).hasMessage("not a JSON object");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{\"id\":\"gw-9\"}"))
        .hasMessage("id/service do not match the key stream-gateway/gw-1");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{\"service\":\"llm-consumer\"}"))
        .hasMessage("id/service do not match the key stream-gateway/gw-1");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{\"httpPort\":70000}"))
        .hasMessage("httpPort must be in 0..65535, got 70000");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{\"grpcPort\":\"x\"}"))
        .hasMessage("grpcPort must be an integer, got \"x\"");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{\"grpcPort\":1.5}"))
        .hasMessage("grpcPort must be an integer, got 1.5");
    assertThatThrownBy(() -> InstanceRecord.fromJson(KEY, "{\"host\":7}"))
        .hasMessage("host must be a string");
  }

  @Test
  void nullTextFieldsBecomeEmpty() {
    InstanceRecord r = new InstanceRecord("i", "s", "h", 1, 0, null, null, null);
    assertThat(r.zone()).isEmpty();
    assertThat(r.version()).isEmpty();
    assertThat(r.startedAt()).isEmpty();
  }

  @Test
  void validateSaysWhatKeepsAnInstanceFromBeingRouted() {
    assertThat(GW1.validate()).isEmpty();
    assertThat(with("gw~1", "stream-gateway", "h", 1, 0).validate()).startsWith("id must match");
    assertThat(with("gw-1", "Stream", "h", 1, 0).validate()).startsWith("service must match");
    assertThat(with("gw-1", "s", " ", 1, 0).validate())
        .isEqualTo("host must be a non-empty host name or address");
    assertThat(with("gw-1", "s", "h", 0, 0).validate()).isEqualTo("httpPort must be in 1..65535");
    assertThat(with("gw-1", "s", "h", 1, -1).validate()).isEqualTo("grpcPort must be in 0..65535");
  }

  private static InstanceRecord with(String id, String service, String host, int http, int grpc) {
    return new InstanceRecord(id, service, host, http, grpc, "", "", "");
  }
}
