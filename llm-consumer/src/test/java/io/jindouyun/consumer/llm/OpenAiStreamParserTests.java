package io.jindouyun.consumer.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class OpenAiStreamParserTests {

  private final OpenAiStreamParser parser = new OpenAiStreamParser(JsonMapper.builder().build());
  private final List<String> deltas = new ArrayList<>();

  private void feed(String data) {
    parser.accept(data, d -> deltas.add(d.text()));
  }

  @Test
  void readsDeltasFinishReasonAndUsageUntilDone() {
    feed("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}");
    feed("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}");
    feed("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" \\\"there\\\"\"}}]}");
    feed("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}");
    feed(
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}");
    feed("[DONE]");
    feed("{\"choices\":[{\"delta\":{\"content\":\"ignored after DONE\"}}]}");

    assertThat(deltas).containsExactly("Hi", " \"there\"");
    LlmEvent.Finish finish = parser.finish();
    assertThat(finish.reason()).isEqualTo("length");
    assertThat(finish.usage()).isEqualTo(new LlmEvent.TokenUsage(3, 2, 5));
  }

  @Test
  void anErrorEventFailsTheStream() {
    assertThatThrownBy(() -> feed("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"))
        .isInstanceOf(LlmStreamException.class)
        .hasMessageContaining("boom");
  }

  @Test
  void aStreamWithoutDoneOrFinishReasonEndedEarly() {
    feed("{\"choices\":[{\"delta\":{\"content\":\"half\"}}]}");
    assertThatThrownBy(parser::finish).isInstanceOf(LlmStreamException.class);
  }

  @Test
  void dataThatIsNotJsonIsAProtocolError() {
    assertThatThrownBy(() -> feed("<html>")).isInstanceOf(LlmProtocolException.class);
  }
}
