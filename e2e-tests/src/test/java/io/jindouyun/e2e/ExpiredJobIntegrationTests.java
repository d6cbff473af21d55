package io.jindouyun.e2e;

import static io.jindouyun.e2e.Chats.JSON;
import static io.jindouyun.e2e.Chats.terminal;
import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.consumer.LlmConsumerApplication;
import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.e2e.Chats.Handshake;
import io.jindouyun.gateway.StreamGatewayApplication;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.KafkaExtension;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Every stream ends, also when the answer never comes: a gateway whose jobs live two seconds
 * ({@code job-ttl}), the real llm-consumer and a development LLM that does not answer in time. The
 * consumer expires the job, closes the LLM call and sends a {@code job-expired} error, which the
 * reader gets as its {@code error} event.
 */
@Timeout(120)
class ExpiredJobIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();

  static DevLlmServer llm;
  static ConfigurableApplicationContext gateway;
  static ConfigurableApplicationContext consumer;
  static Chats chats;

  @BeforeAll
  static void start() {
    kafka.createTopics(3, "chat.jobs", "chat.control");
    kafka.createTopics(1, "chat.replies", "chat.jobs-dlt");
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    gateway =
        new SpringApplicationBuilder(StreamGatewayApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/gateway.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint(),
                "--jindouyun.gateway.handshake.job-ttl=2s");
    consumer =
        new SpringApplicationBuilder(LlmConsumerApplication.class)
            .run(
                "--spring.config.location=classpath:/e2e/consumer.yml",
                "--spring.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
                "--jindouyun.llm.base-url=" + llm.baseUrl(),
                "--jindouyun.etcd.endpoints=" + etcd.endpoint());
    chats =
        new Chats(
            WebClient.builder()
                .baseUrl(
                    "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port"))
                .build());
  }

  @AfterAll
  static void stop() {
    if (consumer != null) {
      consumer.close();
    }
    if (gateway != null) {
      gateway.close();
    }
    if (llm != null) {
      llm.close();
    }
  }

  @Test
  void anAnswerNotFinishedBeforeItsDeadlineEndsTheStreamWithAnExpiredError() {
    long closed = llm.closedEarly();
    long start = System.nanoTime();
    Handshake hs = chats.handshake("otto", "Too slow to answer [dev:ttft=20000]");

    List<ServerSentEvent<String>> events = chats.readUntilTerminal("otto", hs.streamId());

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(1500));
    ServerSentEvent<String> last = terminal(events);
    assertThat(last.event()).isEqualTo("error");
    assertThat(JSON.readTree(last.data()).path("type").asString())
        .isEqualTo("https://jindouyun.io/problems/job-expired");
    assertThat(JSON.readTree(last.data()).path("status").asInt()).isEqualTo(504);
    assertThat(llm.awaitClosedEarly(closed + 1, Chats.WAIT)).isTrue();
  }
}
