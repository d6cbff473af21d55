package io.jindouyun.support.registration;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.support.etcd.EtcdAutoConfiguration;
import io.jindouyun.support.instance.InstanceAutoConfiguration;
import io.jindouyun.support.metrics.MetricsAutoConfiguration;
import io.jindouyun.support.metrics.MetricsGrpcServer;
import io.jindouyun.testkit.EtcdExtension;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

@Timeout(60)
class SelfRegistrationIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final AtomicReference<List<KeyValue>> SEEN_BY_WEB_SERVER_PHASE =
      new AtomicReference<>();
  private static final AtomicReference<Boolean> METRICS_UP_AT_WEB_SERVER_PHASE =
      new AtomicReference<>();

  @SpringBootConfiguration
  @ImportAutoConfiguration({
    InstanceAutoConfiguration.class,
    EtcdAutoConfiguration.class,
    MetricsAutoConfiguration.class,
    RegistrationAutoConfiguration.class
  })
  static class App {

    /** Stands in for the web server's graceful shutdown: records what etcd holds when it stops. */
    @Bean
    SmartLifecycle fakeWebServerShutdown(ObjectProvider<MetricsGrpcServer> metrics) {
      return new SmartLifecycle() {
        private volatile boolean running;

        @Override
        public void start() {
          running = true;
        }

        @Override
        public void stop() {
          running = false;
          try {
            SEEN_BY_WEB_SERVER_PHASE.set(
                etcd.read(EtcdKeys.DEFAULT.instanceKey("stream-gateway", "gw-1")));
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
          MetricsGrpcServer server = metrics.getIfAvailable();
          METRICS_UP_AT_WEB_SERVER_PHASE.set(server != null && server.isRunning());
        }

        @Override
        public boolean isRunning() {
          return running;
        }

        @Override
        public int getPhase() {
          // the web server's graceful-shutdown phase (WebServerGracefulShutdownLifecycle)
          return SmartLifecycle.DEFAULT_PHASE - 1024;
        }
      };
    }
  }

  private static ConfigurableApplicationContext run(String... properties) {
    return new SpringApplicationBuilder(App.class)
        .web(WebApplicationType.NONE)
        .properties(properties)
        .run();
  }

  @Test
  void registersOnceReadyAndDeletesTheKeyBeforeTheWebServerDrains() throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("stream-gateway", "gw-1");
    ConfigurableApplicationContext context =
        run(
            "spring.application.name=stream-gateway",
            "jindouyun.etcd.endpoints=" + etcd.endpoint(),
            "jindouyun.instance.id=gw-1",
            "jindouyun.instance.zone=z1",
            "jindouyun.registration.ttl=2s",
            "server.port=18081");
    int grpcPort = context.getBean(MetricsGrpcServer.class).port();

    await().atMost(Duration.ofSeconds(5)).until(() -> etcd.read(key).size() == 1);
    KeyValue kv = etcd.read(key).get(0);
    assertThat(kv.getLease()).isNotZero();
    JsonNode json = JsonMapper.builder().build().readTree(kv.getValue().toString(UTF_8));
    assertThat(json.get("id").asString()).isEqualTo("gw-1");
    assertThat(json.get("service").asString()).isEqualTo("stream-gateway");
    assertThat(json.get("host").asString()).isEqualTo("127.0.0.1");
    assertThat(json.get("httpPort").asInt()).isEqualTo(18081);
    assertThat(json.get("grpcPort").asInt()).isEqualTo(grpcPort).isPositive();
    assertThat(json.get("zone").asString()).isEqualTo("z1");
    assertThat(json.get("version").asString()).isNotEmpty();
    assertThat(json.get("startedAt").asString()).isNotEmpty();
    HealthIndicator indicator =
        context.getBean("registrationHealthIndicator", HealthIndicator.class);
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              Health health = indicator.health();
              assertThat(health.getStatus()).isEqualTo(Status.UP);
              assertThat(health.getDetails())
                  .containsEntry("state", "REGISTERED")
                  .containsEntry("key", key);
            });

    context.close();

    assertThat(SEEN_BY_WEB_SERVER_PHASE.get()).isEmpty();
    assertThat(METRICS_UP_AT_WEB_SERVER_PHASE.get()).isTrue();
  }

  @Test
  void aSecondInstanceWithTheSameIdFailsStartUpWhileTheFirstLivesAndStartsOnceItIsGone()
      throws Exception {
    String key = EtcdKeys.DEFAULT.instanceKey("llm-consumer", "twin");
    String[] twin = {
      "spring.application.name=llm-consumer",
      "jindouyun.etcd.endpoints=" + etcd.endpoint(),
      "jindouyun.instance.id=twin",
      "jindouyun.registration.ttl=2s",
      "jindouyun.registration.operation-timeout=1s",
      "jindouyun.registration.retry-max=400ms"
    };
    ConfigurableApplicationContext first = run(twin);
    try {
      KeyValue held = etcd.read(key).get(0);

      assertThatThrownBy(() -> run(twin))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("instance id twin is taken")
          .hasMessageContaining(key);
      assertThat(etcd.read(key))
          .singleElement()
          .satisfies(
              kv -> {
                assertThat(kv.getValue()).isEqualTo(held.getValue());
                assertThat(kv.getLease()).isEqualTo(held.getLease());
              });
    } finally {
      first.close();
    }

    try (ConfigurableApplicationContext second = run(twin)) {
      Registrar registrar = second.getBean(SelfRegistration.class).registrar();
      assertThat(registrar.state()).isEqualTo(Registrar.State.REGISTERED);
      assertThat(etcd.read(key))
          .singleElement()
          .satisfies(kv -> assertThat(kv.getLease()).isEqualTo(registrar.leaseId()));
    }
  }

  @Test
  void withoutEtcdEndpointsRegistrationIsOffButMetricsAreServed() {
    try (ConfigurableApplicationContext context = run("spring.application.name=llm-consumer")) {
      assertThat(context.getBeanProvider(Client.class).getIfAvailable()).isNull();
      assertThat(context.getBean(MetricsGrpcServer.class).port()).isPositive();
      Health health =
          context.getBean("registrationHealthIndicator", HealthIndicator.class).health();
      assertThat(health.getStatus()).isEqualTo(Status.UP);
      assertThat(health.getDetails()).containsEntry("state", "OFF");
    }
  }

  @Test
  void registrationCanBeSwitchedOffWhileEtcdIsConfigured() throws Exception {
    try (ConfigurableApplicationContext context =
        run(
            "spring.application.name=exporter-service",
            "jindouyun.etcd.endpoints=" + etcd.endpoint(),
            "jindouyun.registration.enabled=false",
            "jindouyun.metrics.enabled=false")) {
      assertThat(context.getBean(Client.class)).isNotNull();
      assertThat(context.getBeanProvider(MetricsGrpcServer.class).getIfAvailable()).isNull();
      assertThat(context.getBean(SelfRegistration.class).enabled()).isFalse();
      assertThat(
              etcd.client()
                  .getKVClient()
                  .get(
                      ByteSequence.from(
                          EtcdKeys.DEFAULT.instancesPrefix() + "exporter-service/", UTF_8),
                      io.etcd.jetcd.options.GetOption.builder().isPrefix(true).build())
                  .get(5, TimeUnit.SECONDS)
                  .getCount())
          .isZero();
    }
  }
}
