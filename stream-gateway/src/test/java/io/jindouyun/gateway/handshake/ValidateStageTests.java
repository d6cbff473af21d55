package io.jindouyun.gateway.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

class ValidateStageTests {

  private final HandshakeProperties props =
      new HandshakeProperties(
          DataSize.ofKilobytes(64),
          3,
          20,
          List.of("dev-llm", "big"),
          "dev-llm",
          100,
          2.0,
          8,
          Duration.ofMinutes(5),
          new HandshakeProperties.RateLimit(5, Duration.ofSeconds(1), 10),
          new HandshakeProperties.Send(
              3, Duration.ofMillis(10), Duration.ofMillis(100), Duration.ofSeconds(1)));
  private final ValidateStage stage = new ValidateStage(JsonMapper.builder().build(), props);
  private final HandshakeChain accept =
      HandshakeChain.of(
          List.of(stage),
          ctx -> Mono.just(new HandshakeResult(ctx.model(), 0, "n", "t", Instant.EPOCH)));

  private Object run(String json) {
    try {
      return accept
          .next(HandshakeContext.start(null, json.getBytes(StandardCharsets.UTF_8)))
          .block(Duration.ofSeconds(1))
          .streamId();
    } catch (ProblemException e) {
      return e.kind();
    }
  }

  @Test
  void aWellFormedRequestPassesWithTheDefaultModel() {
    assertThat(run("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).isEqualTo("dev-llm");
    assertThat(
            run(
                "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\","
                    + "\"content\":\"hi\"}],\"model\":\"big\",\"maxTokens\":100,\"temperature\":0}"))
        .isEqualTo("big");
  }

  private String detailOf(String json) {
    try {
      accept
          .next(HandshakeContext.start(null, json.getBytes(StandardCharsets.UTF_8)))
          .block(Duration.ofSeconds(1));
      return "accepted";
    } catch (ProblemException e) {
      assertThat(e.kind()).isEqualTo(ProblemKind.VALIDATION);
      return e.getMessage();
    }
  }

  @Test
  void anUnknownFieldIsAValidationProblemNamingTheField() {
    assertThat(detailOf("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"maxToken\":5}"))
        .contains("unknown field maxToken");
    assertThat(detailOf("{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"name\":\"kim\"}]}"))
        .contains("unknown field messages[0].name");
  }

  @Test
  void malformedOrIncompleteBodiesAreValidationProblems() {
    for (String bad :
        List.of(
            "",
            "{",
            "[]",
            "{\"messages\":null}",
            "{\"messages\":[]}",
            "{\"messages\":[{\"role\":\"user\"}]}",
            "{\"messages\":[{\"role\":\"admin\",\"content\":\"x\"}]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":\"y\"}]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":\"other\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"maxTokens\":101}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-0.1}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"conversationId\":\"123456789\"}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"user\",\"content\":\"b\"},"
                + "{\"role\":\"user\",\"content\":\"c\"},{\"role\":\"user\",\"content\":\"d\"}]}")) {
      assertThat(run(bad)).as(bad).isEqualTo(ProblemKind.VALIDATION);
    }
  }

  @Test
  void tooManyCharactersArePayloadTooLarge() {
    assertThat(run("{\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(21) + "\"}]}"))
        .isEqualTo(ProblemKind.PAYLOAD_TOO_LARGE);
  }
}
