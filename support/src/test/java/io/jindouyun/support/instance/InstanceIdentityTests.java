package io.jindouyun.support.instance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.mock.env.MockEnvironment;

class InstanceIdentityTests {

  private static InstanceIdentity identity(String id, MockEnvironment env) {
    return new InstanceIdentity(new InstanceProperties(id, "", "", "127.0.0.1", ""), env);
  }

  private static MockEnvironment gateway() {
    return new MockEnvironment().withProperty("spring.application.name", "stream-gateway");
  }

  @Test
  void aConfiguredIdIsUsedBeforeAndAfterTheWebServerStarts() {
    MockEnvironment env = gateway().withProperty("server.port", "0");
    InstanceIdentity identity = identity("gw-2", env);

    assertThat(identity.idBeforeWebServerStarts()).isEqualTo("gw-2");
    env.setProperty("local.server.port", "41234");
    assertThat(identity.id()).isEqualTo("gw-2");
  }

  @Test
  void withoutAnIdAFixedServerPortGivesTheDefaultIdBeforeTheServerListensAndAfter() {
    MockEnvironment env = gateway().withProperty("server.port", "8083");
    InstanceIdentity identity = identity("", env);

    assertThat(identity.idBeforeWebServerStarts()).isEqualTo("stream-gateway-127.0.0.1-8083");
    env.setProperty("local.server.port", "8083");
    assertThat(identity.id()).isEqualTo("stream-gateway-127.0.0.1-8083");
  }

  @Test
  void withoutAnIdARandomServerPortLeavesNoIdBeforeTheServerListens() {
    InstanceIdentity identity = identity("", gateway().withProperty("server.port", "0"));

    assertThatThrownBy(identity::idBeforeWebServerStarts)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jindouyun.instance.id is not set and server.port is 0");
  }

  @Test
  void withoutAnIdOrAServerPortThereIsNoIdBeforeTheServerListens() {
    InstanceIdentity identity = identity("", gateway());

    assertThatThrownBy(identity::idBeforeWebServerStarts)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("server.port is unset");
  }
}
