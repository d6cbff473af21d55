package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.consumer.llm.LlmHttpException;
import io.jindouyun.consumer.llm.LlmProtocolException;
import io.jindouyun.consumer.llm.LlmStreamException;
import io.jindouyun.consumer.llm.OpenAiStreamingClient;
import io.netty.channel.ChannelException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailureClassifierTests {

  /** Stands for a failure of the LLM client's transport. */
  static final class TransportDown extends RuntimeException {
    TransportDown() {
      super("transport down");
    }
  }

  private final FailureClassifier classifier = new FailureClassifier(List.of(TransportDown.class));

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

  @Test
  void theTransportsNamedFailuresAreTransientAndOnlyThose() {
    assertThat(classifier.isTransient(new TransportDown())).isTrue();
    assertThat(classifier.isTransient(new RuntimeException(new TransportDown()))).isTrue();
    assertThat(new FailureClassifier(List.of()).isTransient(new TransportDown())).isFalse();
  }

  @Test
  void theWebClientsConnectionFailuresAreTransient() {
    FailureClassifier wired = new FailureClassifier(OpenAiStreamingClient.TRANSPORT_FAILURES);
    assertThat(wired.isTransient(new ChannelException("closed"))).isTrue();
  }
}
