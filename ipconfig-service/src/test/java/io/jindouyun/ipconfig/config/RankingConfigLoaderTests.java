package io.jindouyun.ipconfig.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RankingConfigLoaderTests {

  private final RankingConfigLoader loader = new RankingConfigLoader();

  @Test
  void shippedDefaultRanksGatewaysAndConsumers() throws IOException {
    String yaml;
    try (InputStream in = getClass().getResourceAsStream("/ipconfig.yml")) {
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    RankingConfig config = loader.parse(yaml, "classpath:ipconfig.yml");
    assertThat(config.services())
        .extracting(s -> s.name())
        .containsExactly("stream-gateway", "llm-consumer");
    assertThat(config.policy().windows())
        .extracting(w -> w.lengthMillis())
        .containsExactly(10_000L, 60_000L, 300_000L);
    assertThat(config.policy().weightOf(Metric.CPU)).isEqualTo(2.0);
    assertThat(config.policy().staleAfterMillis()).isEqualTo(15_000);
    assertThat(config.policy().prediction()).isEqualTo(ScoringPolicy.Prediction.DEFAULTS);
  }

  @Test
  void readsThePredictionSettingsAndDefaultsTheRest() {
    RankingConfig config =
        loader.parse(
            """
            windows: [{length: 10s, weight: 1}]
            metrics: {cpu: {weight: 1}}
            prediction:
              fast-window: {length: 2s, buckets: 4}
              forgetting: 0.98
              min-samples: 5
              exponent: 2
              min-ttft: 50ms
              hysteresis: 0.2
              max-rise-per-second: 25
              damp-above-rank-changes-per-minute: 12
            services: [{name: stream-gateway}]
            """,
            "test");
    ScoringPolicy.Prediction p = config.policy().prediction();
    assertThat(p.fastWindow().lengthMillis()).isEqualTo(2_000);
    assertThat(p.fastWindow().buckets()).isEqualTo(4);
    assertThat(p.dampedWindow()).isEqualTo(ScoringPolicy.Prediction.DEFAULTS.dampedWindow());
    assertThat(p.forgetting()).isEqualTo(0.98);
    assertThat(p.minSamples()).isEqualTo(5);
    assertThat(p.exponent()).isEqualTo(2.0);
    assertThat(p.minTtftMillis()).isEqualTo(50.0);
    assertThat(p.hysteresis()).isEqualTo(0.2);
    assertThat(p.maxRisePerSecond()).isEqualTo(25.0);
    assertThat(p.dampAboveRankChangesPerMinute()).isEqualTo(12.0);
  }

  @Test
  void reportsEveryPredictionProblemWithItsPath() {
    assertThatThrownBy(
            () ->
                loader.parse(
                    """
                    windows: [{length: 10s, weight: 1}]
                    metrics: {cpu: {weight: 1}}
                    prediction:
                      fast-window: {length: 20s, buckets: 3}
                      forgetting: 1.5
                      min-samples: 0
                      exponent: -1
                      min-ttft: 0ms
                      hysteresis: 1
                      max-rise-per-second: 0
                      damp-above-rank-changes-per-minute: -2
                    services: [{name: stream-gateway}]
                    """,
                    "p.yml"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("prediction.fast-window.length (20000 ms) must divide into 3 buckets")
        .hasMessageContaining("prediction.forgetting must be in (0,1]")
        .hasMessageContaining("prediction.min-samples must be >= 1")
        .hasMessageContaining("prediction.exponent must be > 0")
        .hasMessageContaining("prediction.min-ttft must be > 0")
        .hasMessageContaining("prediction.hysteresis must be in [0,1)")
        .hasMessageContaining("prediction.max-rise-per-second must be > 0")
        .hasMessageContaining("prediction.damp-above-rank-changes-per-minute must be > 0");
    assertThatThrownBy(
            () ->
                loader.parse(
                    """
                    windows: [{length: 10s, weight: 1}]
                    metrics: {cpu: {weight: 1}}
                    prediction: {fast-window: {length: 30s, buckets: 3}}
                    services: [{name: stream-gateway}]
                    """,
                    "p.yml"))
        .hasMessageContaining(
            "prediction.damped-window must be longer than prediction.fast-window");
  }

  @Test
  void appliesDefaultsAndReadsStaticInstances() {
    RankingConfig config =
        loader.parse(
            """
            windows: [{length: 10s, weight: 1}]
            metrics: {cpu: {weight: 1}}
            services:
              - name: stream-gateway
                list-size: 3
                static-instances:
                  - {id: gw-1, host: 127.0.0.1, http-port: 8081, grpc-port: 9081}
            """,
            "test");
    assertThat(config.policy().windows().get(0).buckets()).isEqualTo(10);
    assertThat(config.policy().metrics().get(Metric.CPU).limit()).isEqualTo(1.0);
    assertThat(config.policy().weightFloor()).isEqualTo(0.1);
    assertThat(config.services().get(0).listSize()).isEqualTo(3);
    assertThat(config.services().get(0).staticInstances().get(0).httpPort()).isEqualTo(8081);
  }

  @Test
  void reportsEveryProblemAtOnceWithItsPath() {
    assertThatThrownBy(
            () ->
                loader.parse(
                    """
                    windows:
                      - {length: 0s, weight: 1}
                      - {length: 10s, weight: -1}
                      - {length: 10s, weight: 1, buckets: 3}
                    metrics: {cpu: {weight: 0}, ram: {weight: 1}}
                    weight-floor: 1.5
                    stale-after: soon
                    list-size: 0
                    services:
                      - name: stream-gateway
                        static-instances: [{id: "bad id", host: h, http-port: 1}]
                      - name: stream-gateway
                    """,
                    "test.yml"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("test.yml")
        .hasMessageContaining("windows[0].length must be > 0")
        .hasMessageContaining("windows[1].weight must be > 0")
        .hasMessageContaining("windows[2].length (10000 ms) must divide into 3 buckets")
        .hasMessageContaining("unknown metric 'ram'")
        .hasMessageContaining("metrics: weights must not all be zero")
        .hasMessageContaining("weight-floor must be in [0,1]")
        .hasMessageContaining("stale-after: 'soon' is not a duration")
        .hasMessageContaining("list-size must be >= 1")
        .hasMessageContaining("services[0].static-instances[0]: id must match")
        .hasMessageContaining("services[1].name 'stream-gateway' is listed twice");
  }

  @Test
  void rejectsUnknownKeysAndMissingSections() {
    assertThatThrownBy(() -> loader.parse("windowz: []\n", "t"))
        .isInstanceOf(InvalidConfigException.class)
        .hasMessageContaining("windowz");
    assertThatThrownBy(() -> loader.parse("list-size: 2\n", "t"))
        .hasMessageContaining("windows: at least one window is required")
        .hasMessageContaining("metrics: at least one metric")
        .hasMessageContaining("services: at least one service is required");
  }

  @Test
  void parsesSimpleAndIsoDurations() {
    assertThat(Durations.parse("500ms").toMillis()).isEqualTo(500);
    assertThat(Durations.parse("30s").toMillis()).isEqualTo(30_000);
    assertThat(Durations.parse("5m").toMillis()).isEqualTo(300_000);
    assertThat(Durations.parse("PT2S").toMillis()).isEqualTo(2_000);
    assertThatThrownBy(() -> Durations.parse("3 days"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
