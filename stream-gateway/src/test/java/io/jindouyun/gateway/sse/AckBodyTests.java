package io.jindouyun.gateway.sse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class AckBodyTests {

  private final JsonMapper json = JsonMapper.builder().build();

  private String read(String body) {
    return AckBody.lastEventId(json, body.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theIdOfTheLastChunkIsRead() {
    assertThat(read("{\"lastEventId\":\"3.41\"}")).isEqualTo("3.41");
    assertThat(read("{\"lastEventId\":\"3.41\",\"other\":1}")).isEqualTo("3.41");
  }

  @Test
  void noBodyNoFieldOrAnEmptyIdAcknowledgesWithoutAPosition() {
    for (String body :
        List.of("", "{}", "null", "{\"lastEventId\":null}", "{\"lastEventId\":\"\"}")) {
      assertThat(read(body)).as(body).isNull();
    }
  }

  @Test
  void aBadValueIsAValidationProblemNamingTheField() {
    for (String body :
        List.of(
            "{\"lastEventId\":\"x\"}",
            "{\"lastEventId\":17}",
            "{\"lastEventId\":\"1.2.3\"}",
            "{\"lastEventId\":\"-1.2\"}",
            "{\"lastEventId\":\"1.\"}",
            "{\"lastEventId\":\"1234567890123456789.1\"}")) {
      ProblemException e = catchThrowableOfType(ProblemException.class, () -> read(body));
      assertThat(e).as(body).isNotNull();
      assertThat(e.kind()).isEqualTo(ProblemKind.VALIDATION);
      assertThat(e.getMessage()).as(body).startsWith("lastEventId");
    }
  }

  @Test
  void aBodyThatIsNotAJsonObjectIsAValidationProblem() {
    for (String body : List.of("{", "[1]", "\"1.2\"")) {
      ProblemException e = catchThrowableOfType(ProblemException.class, () -> read(body));
      assertThat(e).as(body).isNotNull();
      assertThat(e.getMessage()).as(body).contains("ack body");
    }
  }
}
