package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DevLlmMainTests {

  @Test
  void defaultsToPort8099() {
    DevLlmSettings settings = DevLlmMain.settings(new String[0], Map.of());

    assertThat(settings.port()).isEqualTo(8099);
    assertThat(settings.host()).isEqualTo("127.0.0.1");
    assertThat(settings.tokens()).isEqualTo(DevLlmSettings.DEFAULT_TOKENS);
  }

  @Test
  void flagsOverrideTheEnvironment() {
    DevLlmSettings settings =
        DevLlmMain.settings(
            new String[] {"--port=9999", "--ttft-ms=150", "--fail=drop-mid", "--api-key=k"},
            Map.of("DEV_LLM_PORT", "7777", "DEV_LLM_TOKEN_DELAY_MS", "3", "DEV_LLM_TOKENS", "8"));

    assertThat(settings.port()).isEqualTo(9999);
    assertThat(settings.ttft()).isEqualTo(Duration.ofMillis(150));
    assertThat(settings.tokenDelay()).isEqualTo(Duration.ofMillis(3));
    assertThat(settings.tokens()).isEqualTo(8);
    assertThat(settings.fail()).isEqualTo(FailMode.DROP_MID);
    assertThat(settings.apiKey()).isEqualTo("k");
    assertThat(settings.toString()).doesNotContain("=k,").contains("apiKey=***");
  }

  @Test
  void rejectsUnknownFlagsAndBadNumbers() {
    assertThatThrownBy(() -> DevLlmMain.settings(new String[] {"--nope=1"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DevLlmMain.settings(new String[] {"--port"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DevLlmMain.settings(new String[] {"--tokens=many"}, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
