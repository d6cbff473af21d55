package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AnswerOptionsTests {

  private static final DevLlmSettings SETTINGS = DevLlmSettings.DEFAULTS;

  @Test
  void serverDefaultsApplyWithoutHeadersOrDirectives() {
    AnswerOptions options = AnswerOptions.resolve(SETTINGS, Map.<String, String>of()::get, "hi");

    assertThat(options)
        .isEqualTo(
            new AnswerOptions(
                DevLlmSettings.DEFAULT_TTFT,
                DevLlmSettings.DEFAULT_TOKEN_DELAY,
                DevLlmSettings.DEFAULT_TOKENS,
                FailMode.NONE,
                -1,
                0));
  }

  @Test
  void headersOverrideDefaults() {
    Map<String, String> headers =
        Map.of(
            "X-Dev-Ttft-Ms", "200",
            "X-Dev-Token-Delay-Ms", "7",
            "X-Dev-Tokens", "10",
            "X-Dev-Fail", "error-mid",
            "X-Dev-Fail-After", "3",
            "X-Dev-Fail-Times", "2");

    AnswerOptions options = AnswerOptions.resolve(SETTINGS, headers::get, "hi");

    assertThat(options)
        .isEqualTo(
            new AnswerOptions(
                Duration.ofMillis(200), Duration.ofMillis(7), 10, FailMode.ERROR_MID, 3, 2));
  }

  @Test
  void directivesInTheLastUserMessageOverrideHeaders() {
    Map<String, String> headers = Map.of("X-Dev-Tokens", "10", "X-Dev-Fail", "429");

    AnswerOptions options =
        AnswerOptions.resolve(
            SETTINGS,
            headers::get,
            "please [dev:tokens=3] [DEV:Fail=drop-mid] [dev:delay=5] [dev:ttft-ms=9]");

    assertThat(options.tokens()).isEqualTo(3);
    assertThat(options.fail()).isEqualTo(FailMode.DROP_MID);
    assertThat(options.tokenDelay()).isEqualTo(Duration.ofMillis(5));
    assertThat(options.ttft()).isEqualTo(Duration.ofMillis(9));
  }

  @Test
  void everyFailureModeHasItsDocumentedName() {
    assertThat(FailMode.parse("429")).isEqualTo(FailMode.RATE_LIMITED);
    assertThat(FailMode.parse("500")).isEqualTo(FailMode.SERVER_ERROR);
    assertThat(FailMode.parse("400")).isEqualTo(FailMode.BAD_REQUEST);
    assertThat(FailMode.parse("error-mid")).isEqualTo(FailMode.ERROR_MID);
    assertThat(FailMode.parse("Drop-Mid")).isEqualTo(FailMode.DROP_MID);
    assertThat(FailMode.parse("none")).isEqualTo(FailMode.NONE);
  }

  @Test
  void unknownDirectivesAndOutOfBoundValuesAreBadRequests() {
    Map<String, String> none = Map.of();

    assertThatThrownBy(() -> AnswerOptions.resolve(SETTINGS, none::get, "[dev:boom=1]"))
        .isInstanceOf(BadRequestException.class)
        .hasMessageContaining("boom");
    assertThatThrownBy(() -> AnswerOptions.resolve(SETTINGS, none::get, "[dev:tokens=99999999]"))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> AnswerOptions.resolve(SETTINGS, none::get, "[dev:ttft=-1]"))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> AnswerOptions.resolve(SETTINGS, none::get, "[dev:fail=503]"))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(
            () -> AnswerOptions.resolve(SETTINGS, Map.of("X-Dev-Ttft-Ms", "61000")::get, "hi"))
        .isInstanceOf(BadRequestException.class);
  }
}
