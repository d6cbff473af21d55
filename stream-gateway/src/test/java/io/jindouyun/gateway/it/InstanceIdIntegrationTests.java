package io.jindouyun.gateway.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.gateway.StreamGatewayApplication;
import io.jindouyun.gateway.handshake.NodeId;
import io.jindouyun.support.instance.InstanceIdentity;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * A gateway started without {@code jindouyun.instance.id} takes {@code
 * <service>-<host>-<server.port>} before it listens, and uses that one id for its stream ids, its
 * reply partition claim and its registration; without a fixed port it refuses to start.
 */
@Timeout(90)
class InstanceIdIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  @BeforeAll
  static void topics() {
    kafka.createTopics(1, "chat.jobs", "chat.replies", "chat.control");
  }

  private static ConfigurableApplicationContext run(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of(
                "--jindouyun.metrics.grpc-port=0",
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers()));
    all.addAll(List.of(args));
    return new SpringApplicationBuilder(StreamGatewayApplication.class)
        .run(all.toArray(String[]::new));
  }

  @Test
  void withoutAnIdTheGatewayIsNamedAfterServiceHostAndPortEverywhere() throws Exception {
    int port = FreePorts.next();
    String expected = "stream-gateway-127.0.0.1-" + port;

    try (ConfigurableApplicationContext gateway = run("--server.port=" + port)) {
      assertThat(gateway.getBean(NodeId.class).value()).isEqualTo(expected);
      assertThat(gateway.getBean(InstanceIdentity.class).id()).isEqualTo(expected);
      assertThat(etcd.read(EtcdKeys.DEFAULT.replyKey(0)))
          .singleElement()
          .satisfies(kv -> assertThat(kv.getValue().toString(UTF_8)).isEqualTo(expected));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () ->
                  etcd.read(EtcdKeys.DEFAULT.instanceKey("stream-gateway", expected)).size() == 1);

      ChatClient.Handshake handshake =
          new ChatClient(
                  WebTestClient.bindToServer()
                      .baseUrl("http://127.0.0.1:" + port)
                      .responseTimeout(Duration.ofSeconds(20))
                      .build())
              .handshake("ida", "hi");
      assertThat(handshake.body().get("node")).isEqualTo(expected);
      assertThat(handshake.streamId()).startsWith(expected + "~");
    }
  }

  @Test
  void withoutAnIdOnARandomPortTheGatewayRefusesToStart() {
    assertThatThrownBy(() -> run("--server.port=0").close())
        .rootCause()
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("jindouyun.instance.id is not set and server.port is 0");
  }
}
