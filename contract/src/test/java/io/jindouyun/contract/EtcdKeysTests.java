package io.jindouyun.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EtcdKeysTests {

  private final EtcdKeys keys = EtcdKeys.DEFAULT;

  @Test
  void theDefaultLayoutIsUnderJindouyun() {
    assertThat(keys.instancesPrefix()).isEqualTo("/jindouyun/instances/");
    assertThat(keys.metricsPrefix()).isEqualTo("/jindouyun/metrics/");
    assertThat(keys.overridesPrefix()).isEqualTo("/jindouyun/overrides/");
    assertThat(keys.repliesPrefix()).isEqualTo("/jindouyun/replies/");
    assertThat(keys.instanceKey("stream-gateway", "gw-1"))
        .isEqualTo("/jindouyun/instances/stream-gateway/gw-1");
    assertThat(keys.metricsKey("llm-consumer", "c-1"))
        .isEqualTo("/jindouyun/metrics/llm-consumer/c-1");
    assertThat(keys.overrideKey("stream-gateway")).isEqualTo("/jindouyun/overrides/stream-gateway");
    assertThat(keys.replyKey(3)).isEqualTo("/jindouyun/replies/3");
  }

  @Test
  void anotherRootMovesEveryKey() {
    EtcdKeys other = new EtcdKeys("/it7/jindouyun/");
    assertThat(other.root()).isEqualTo("/it7/jindouyun/");
    assertThat(other.instanceKey("s", "i")).isEqualTo("/it7/jindouyun/instances/s/i");
    assertThat(other.metricsPrefix()).isEqualTo("/it7/jindouyun/metrics/");
    assertThatThrownBy(() -> new EtcdKeys("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builtKeysParseBackToTheirInstance() throws Exception {
    ServiceInstance gw = new ServiceInstance("stream-gateway", "gw-1");
    assertThat(keys.parseInstanceKey(keys.instanceKey(gw))).isEqualTo(gw);
    assertThat(keys.parseMetricsKey(keys.metricsKey(gw))).isEqualTo(gw);
    assertThat(keys.parseOverrideKey(keys.overrideKey("stream-gateway")))
        .isEqualTo("stream-gateway");
    assertThat(keys.instanceOf("/jindouyun/instances/s/i")).contains(new ServiceInstance("s", "i"));
  }

  @Test
  void keysThatAreNotTwoValidSegmentsUnderThePrefixAreRejected() {
    assertThat(keys.instanceOf("/jindouyun/instances/s/i/x")).isEmpty();
    assertThat(keys.instanceOf("/jindouyun/instances/s/")).isEmpty();
    assertThat(keys.instanceOf("/jindouyun/instances/s")).isEmpty();
    assertThat(keys.instanceOf("/jindouyun/metrics/s/i")).isEmpty();
    assertThat(keys.instanceOf("/jindouyun/instances/Svc/i")).isEmpty();
    assertThatThrownBy(() -> keys.parseInstanceKey("/jindouyun/instances/llm-consumer"))
        .isInstanceOf(BadRecordException.class)
        .hasMessage("key must end in <service>/<instanceId>: llm-consumer");
    assertThatThrownBy(() -> keys.parseMetricsKey("/jindouyun/metrics/svc/a~b"))
        .isInstanceOf(BadRecordException.class)
        .hasMessage("bad service or instance id in key: svc/a~b");
    assertThatThrownBy(() -> keys.parseMetricsKey("/jindouyun/instances/svc/a"))
        .isInstanceOf(BadRecordException.class)
        .hasMessage("not under /jindouyun/metrics/: /jindouyun/instances/svc/a");
  }

  @Test
  void buildingAKeyChecksTheNames() {
    assertThatThrownBy(() -> keys.instanceKey("stream-gateway", "gw/1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("gw/1");
    assertThatThrownBy(() -> keys.metricsKey("Stream", "gw-1"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> keys.replyKey(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
