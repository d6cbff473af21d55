package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class AnswerPlannerTests {

  private final AnswerPlanner planner =
      new AnswerPlanner(
          DevLlmSettings.DEFAULTS.withTokens(10),
          new ChatRequestParser(JsonMapper.builder().build()));

  private Plan plan(String user, Map<String, String> headers) {
    return planner.plan(OpenAiTestClient.body(true, user), headers::get);
  }

  @Test
  void midStreamFailuresHappenAfterHalfTheAnswerByDefault() {
    Answer answer = (Answer) plan("x", Map.of("X-Dev-Fail", "error-mid"));

    assertThat(answer.fail()).isEqualTo(FailMode.ERROR_MID);
    assertThat(answer.failAt()).isEqualTo(5);
    assertThat(answer.sent()).isEqualTo(5);
    assertThat(answer.tokens()).hasSize(10);
  }

  @Test
  void failAfterIsCappedAtTheAnswerLength() {
    Answer answer = (Answer) plan("x [dev:fail=drop-mid] [dev:fail-after=99]", Map.of());

    assertThat(answer.failAt()).isEqualTo(10);
  }

  @Test
  void injectedStatusFailuresBecomeRejectionsUntilTheBudgetIsSpent() {
    Map<String, String> twice = Map.of("X-Dev-Fail", "429", "X-Dev-Fail-Times", "2");

    assertThat(plan("budget", twice)).isInstanceOf(Rejection.class);
    assertThat(((Rejection) plan("budget", twice)).retryAfter()).isNotNull();
    assertThat(plan("budget", twice)).isInstanceOf(Answer.class);
    assertThat(plan("other budget", twice)).isInstanceOf(Rejection.class);
  }

  @Test
  void invalidInputBecomesA400Rejection() {
    Plan plan = planner.plan("{", name -> null);

    assertThat(plan).isInstanceOf(Rejection.class);
    assertThat(((Rejection) plan).status()).isEqualTo(400);
    assertThat(((Rejection) plan).type()).isEqualTo("invalid_request_error");
  }
}
