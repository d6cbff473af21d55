package io.jindouyun.exporter.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InstanceParserTests {

  @Test
  void registrationNamesTheTargetByItsKeyAndAddressByItsJson() {
    Target t =
        InstanceParser.parse(
            "/jindouyun/instances/llm-consumer/c-1",
            "{\"id\":\"c-1\",\"service\":\"llm-consumer\",\"host\":\"10.1.2.3\",\"httpPort\":8181,"
                + "\"grpcPort\":9181,\"zone\":\"a\",\"version\":\"1\",\"startedAt\":\"x\"}");

    assertThat(t).isEqualTo(new Target("llm-consumer", "c-1", "10.1.2.3", 9181));
  }

  @Test
  void missingHostMeansLoopback() {
    assertThat(InstanceParser.parse("/jindouyun/instances/s/i", "{\"grpcPort\":5}").host())
        .isEqualTo("127.0.0.1");
  }

  @Test
  void unusableRegistrationsAreRejected() {
    String key = "/jindouyun/instances/s/i";
    assertThatThrownBy(() -> InstanceParser.parse(key, "{\"host\":\"h\"}"))
        .hasMessageContaining("no grpcPort");
    assertThatThrownBy(() -> InstanceParser.parse(key, "not json"))
        .hasMessageContaining("bad JSON");
    assertThatThrownBy(() -> InstanceParser.parse(key, "[1]"))
        .hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> InstanceParser.parse("/jindouyun/instances/s", "{\"grpcPort\":5}"))
        .hasMessageContaining("not an instance key");
  }

  @Test
  void onlyTwoLevelKeysUnderThePrefixAreInstances() {
    assertThat(InstanceParser.targetKey("/jindouyun/instances/s/i")).isEqualTo("s/i");
    assertThat(InstanceParser.targetKey("/jindouyun/instances/s/i/x")).isNull();
    assertThat(InstanceParser.targetKey("/jindouyun/instances/s/")).isNull();
    assertThat(InstanceParser.targetKey("/jindouyun/metrics/s/i")).isNull();
  }
}
