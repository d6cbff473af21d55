package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.JSON;
import static io.jindouyun.e2e.Chats.answer;
import static io.jindouyun.e2e.Chats.chunks;
import static io.jindouyun.e2e.Chats.terminal;
import static io.jindouyun.e2e.Chats.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.e2e.Chats.Handshake;
import io.jindouyun.gateway.StreamGatewayApplication;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;

/**
 * One user, two gateways: the fleet-wide order of a user's chats. Two real stream-gateways (each
 * its own Spring context, node id and reply partition), the real llm-consumer, the development LLM,
 * an embedded Kafka broker and a real etcd process. The handshakes go straight to one gateway or
 * the other, so which gateway serves which chat is forced, as the edge might choose it.
 */
@Timeout(180)
class FleetOrderIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static final Duration WAIT = Chats.WAIT;

  /** The fleet-wide burst the consumer allows one user (each gateway alone would allow 20). */
  static final int FLEET_BURST = 3;

  static DevLlmServer llm;
  static ConfigurableApplicationContext gateway1;
  static ConfigurableApplicationContext gateway2;
  static ConfigurableApplicationContext consumer;
  static Chats gw1;
  static Chats gw2;

  @BeforeAll
  static void start() {
    kafka.createTopics(3, "chat.jobs", "chat.control");
    kafka.createTopics(2, "chat.replies");
    kafka.createTopics(1, "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    gateway1 = startGateway("gw-one");
    gateway2 = startGateway("gw-two");
    consumer =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/consumer.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.consumer.rate-limit.capacity=" + FLEET_BURST,
                "--jindouyun.consumer.rate-limit.refill-period=1h");
    gw1 = chats(gateway1);
    gw2 = chats(gateway2);
  }

  static ConfigurableApplicationContext startGateway(String node) {
    return new SpringApplicationBuilder(StreamGatewayApplication.class)
        .run(
            "--spring.config.location=classpath:/e2e/gateway.yml",
            "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
            "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
            "--jindouyun.instance.id=" + node);
  }

  static Chats chats(ConfigurableApplicationContext gateway) {
    return new Chats(
        WebClient.builder()
            .baseUrl(
                "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"))
            .build());
  }

  @AfterAll
  static void stop() {
    for (ConfigurableApplicationContext context : List.of(consumer, gateway1, gateway2)) {
      if (context != null) {
        context.close();
      }
    }
    if (llm != null) {
      llm.close();
    }
  }

  @Test
  void aNewerHandshakeOnAnotherGatewaySupersedesTheStreamingOneAndClosesItsLlmCall() {
    String user = "ada";
    long closed = llm.closedEarly();
    Handshake first = gw1.handshake(user, "A long story [dev:tokens=400] [dev:delay=20]");
    assertThat(first.streamId()).startsWith("gw-one~");
    List<ServerSentEvent<String>> firstEvents = new CopyOnWriteArrayList<>();
    Disposable reading = gw1.read(user, first.streamId(), firstEvents);
    try {
      await().atMost(WAIT).until(() -> chunks(firstEvents).size() >= 3);

      String prompt = "A short one instead [dev:tokens=30] [dev:delay=2]";
      Handshake second = gw2.handshake(user, prompt);
      assertThat(second.streamId()).startsWith("gw-two~");

      await().atMost(WAIT).until(() -> terminal(firstEvents) != null);
      assertThat(terminal(firstEvents).event()).isEqualTo("superseded");
      assertThat(llm.awaitClosedEarly(closed + 1, WAIT)).isTrue();

      List<ServerSentEvent<String>> secondEvents = gw2.readUntilTerminal(user, second.streamId());
      assertThat(terminal(secondEvents).event()).isEqualTo("done");
      assertThat(text(secondEvents)).isEqualTo(answer(llm.baseUrl(), prompt));
      assertThat(llm.closedEarly()).isEqualTo(closed + 1);
    } finally {
      reading.dispose();
    }
  }

  @Test
  void theUsersRateHoldsForTheFleetNotPerGateway() {
    String user = "bo";
    Chats[] gateways = {gw1, gw2};
    Handshake last = null;
    for (int i = 0; i < FLEET_BURST; i++) {
      last = gateways[i % 2].handshake(user, "Answer " + i + " [dev:tokens=20] [dev:delay=5]");
    }
    Handshake lastAllowed = last;
    Chats lastAllowedOn = gateways[(FLEET_BURST - 1) % 2];
    Chats overOn = gateways[FLEET_BURST % 2];

    Handshake over = overOn.handshake(user, "One too many [dev:tokens=20]");

    List<ServerSentEvent<String>> overEvents = overOn.readUntilTerminal(user, over.streamId());
    ServerSentEvent<String> refused = terminal(overEvents);
    assertThat(refused.event()).isEqualTo("error");
    assertThat(JSON.readTree(refused.data()).path("type").asString())
        .isEqualTo("https://jindouyun.io/problems/rate-limited");
    assertThat(JSON.readTree(refused.data()).path("status").asInt()).isEqualTo(429);
    List<ServerSentEvent<String>> allowedEvents =
        lastAllowedOn.readUntilTerminal(user, lastAllowed.streamId());
    assertThat(terminal(allowedEvents).event()).isEqualTo("done");
  }
}
