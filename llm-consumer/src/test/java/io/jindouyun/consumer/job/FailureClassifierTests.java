package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.consumer.llm.LlmHttpException;
import io.jindouyun.consumer.llm.LlmProtocolException;
import io.jindouyun.consumer.llm.LlmStreamException;
import java.net.ConnectException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FailureClassifierTests {

  private final FailureClassifier classifier = new FailureClassifier();

  @Test
  void rateLimitsServerErrorsAndTimeoutsAreTransient() {
    assertThat(classifier.isTransient(new LlmHttpException(429, "", Duration.ofSeconds(1))))
        .isTrue();
    assertThat(classifier.isTransient(new LlmHttpException(500, "", null))).isTrue();
    assertThat(classifier.isTransient(new LlmHttpException(503, "", null))).isTrue();
    assertThat(classifier.isTransient(new LlmHttpException(408, "", null))).isTrue();
  }

  @Test
  void clientErrorsOtherThan408And429AreFatal() {
    assertThat(classifier.isTransient(new LlmHttpException(400, "", null))).isFalse();
    assertThat(classifier.isTransient(new LlmHttpException(401, "", null))).isFalse();
    assertThat(classifier.isTransient(new LlmHttpException(404, "", null))).isFalse();
  }

  @Test
  void connectionFailuresAndBrokenStreamsAreTransient() {
    assertThat(classifier.isTransient(new ConnectException("refused"))).isTrue();
    assertThat(classifier.isTransient(new RuntimeException(new ConnectException("x")))).isTrue();
    assertThat(classifier.isTransient(new LlmStreamException("ended early"))).isTrue();
  }

  @Test
  void listedFatalTypesAndUnknownFailuresAreFatal() {
    assertThat(classifier.isTransient(new LlmProtocolException("not json", null))).isFalse();
    assertThat(classifier.isTransient(new InvalidJobException("bad", null))).isFalse();
    assertThat(classifier.isTransient(new IllegalStateException("bug"))).isFalse();
  }
}
