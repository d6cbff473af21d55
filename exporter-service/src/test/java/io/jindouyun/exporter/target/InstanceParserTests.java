package io.jindouyun.exporter.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.contract.BadRecordException;
import io.jindouyun.contract.ServiceInstance;
import org.junit.jupiter.api.Test;

class InstanceParserTests {

  private static final ServiceInstance S_I = new ServiceInstance("s", "i");

  @Test
  void registrationNamesTheTargetByItsKeyAndAddressByItsJson() throws Exception {
    Target t =
        InstanceParser.parse(
            new ServiceInstance("llm-consumer", "c-1"),
            "{\"id\":\"c-1\",\"service\":\"llm-consumer\",\"host\":\"10.1.2.3\",\"httpPort\":8181,"
                + "\"grpcPort\":9181,\"zone\":\"a\",\"version\":\"1\",\"startedAt\":\"x\"}");

    assertThat(t).isEqualTo(new Target("llm-consumer", "c-1", "10.1.2.3", 9181));
  }

  @Test
  void missingHostMeansLoopback() throws Exception {
    assertThat(InstanceParser.parse(S_I, "{\"grpcPort\":5}").host()).isEqualTo("127.0.0.1");
  }

  @Test
  void unusableRegistrationsAreRejected() {
    assertThatThrownBy(() -> InstanceParser.parse(S_I, "{\"host\":\"h\"}"))
        .isInstanceOf(BadRecordException.class)
        .hasMessageContaining("no grpcPort");
    assertThatThrownBy(() -> InstanceParser.parse(S_I, "not json"))
        .hasMessageContaining("not JSON");
    assertThatThrownBy(() -> InstanceParser.parse(S_I, "[1]"))
        .hasMessageContaining("not a JSON object");
  }
}
