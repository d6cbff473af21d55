package io.jindouyun.consumer.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class OpenAiStreamParserTests {

  private final OpenAiStreamParser parser = new OpenAiStreamParser(JsonMapper.builder().build());
  private final List<String> deltas = new ArrayList<>();

  /** Feeds {@code data} from the middle of a larger buffer, as the framer hands it over. */
  private void feed(String data) {
    byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
    byte[] buffer = new byte[bytes.length + 10];
    buffer[0] = '{';
    buffer[buffer.length - 1] = '}';
    System.arraycopy(bytes, 0, buffer, 3, bytes.length);
    parser.accept(buffer, 3, bytes.length, d -> deltas.add(d.text()));
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
  void onlyTheFirstChoiceCountsAndEverythingElseIsSkipped() {
    feed(
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"meta\":{\"a\":[1,{\"b\":[]}]},"
            + "\"choices\":[{\"logprobs\":{\"content\":[{\"token\":\"x\"}]},"
            + "\"delta\":{\"tool_calls\":[{\"content\":\"no\"}],\"content\":\"悟空 🐒\\n\\t\\\\\"},"
            + "\"index\":0},{\"delta\":{\"content\":\"second choice\"},\"finish_reason\":\"stop\"}],"
            + "\"system_fingerprint\":null}");
    feed("{\"choices\":[{\"delta\":{\"content\":\"\"}}]}");
    feed("{\"choices\":[{\"delta\":{\"content\":7}}]}");

    assertThat(deltas).containsExactly("悟空 🐒\n\t\\");
    assertThatThrownBy(parser::finish).isInstanceOf(LlmStreamException.class);
  }

  @Test
  void blankDataIsIgnoredAndDoneMayCarryWhitespace() {
    feed("");
    feed(" \r\n\t");
    feed("  [DONE] \n");

    assertThat(deltas).isEmpty();
    assertThat(parser.finish().reason()).isEqualTo("stop");
    assertThat(parser.finish().usage()).isNull();
  }

  @Test
  void usageCountsThatAreNotSmallIntegersReadAsZeroOrTruncated() {
    feed(
        "{\"usage\":{\"prompt_tokens\":\"4\",\"completion_tokens\":2.9,"
            + "\"total_tokens\":5000000000,\"details\":{\"x\":1}},\"choices\":null}");
    feed("[DONE]");

    assertThat(parser.finish().usage()).isEqualTo(new LlmEvent.TokenUsage(4, 2, 0));
  }

  @Test
  void anErrorEventFailsTheStream() {
    assertThatThrownBy(() -> feed("{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}"))
        .isInstanceOf(LlmStreamException.class)
        .hasMessageContaining("boom");
  }

  @Test
  void anErrorGivenAsAStringFailsTheStreamAndANullErrorDoesNot() {
    feed("{\"error\":null,\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}");
    assertThat(deltas).containsExactly("ok");

    assertThatThrownBy(
            () -> feed("{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"error\":\"overloaded\"}"))
        .isInstanceOf(LlmStreamException.class)
        .hasMessageContaining("overloaded");
    assertThat(deltas).containsExactly("ok");
  }

  @Test
  void aStreamWithoutDoneOrFinishReasonEndedEarly() {
    feed("{\"choices\":[{\"delta\":{\"content\":\"half\"}}]}");
    assertThatThrownBy(parser::finish).isInstanceOf(LlmStreamException.class);
  }

  @Test
  void dataThatIsNotJsonIsAProtocolError() {
    assertThatThrownBy(() -> feed("<html>"))
        .isInstanceOf(LlmProtocolException.class)
        .hasMessageContaining("<html>");
  }

  @Test
  void jsonThatIsNotOneObjectIsAProtocolErrorAndEmitsNothing() {
    assertThatThrownBy(() -> feed("[1,2]"))
        .isInstanceOf(LlmProtocolException.class)
        .hasMessageContaining("not a JSON object");
    assertThatThrownBy(() -> feed("42")).isInstanceOf(LlmProtocolException.class);
    assertThatThrownBy(() -> feed("{\"choices\":[{\"delta\":{\"content\":\"a\"}}]} {}"))
        .isInstanceOf(LlmProtocolException.class);
    assertThatThrownBy(() -> feed("{\"choices\":[{\"delta\":{\"content\":\"a\"}}]"))
        .isInstanceOf(LlmProtocolException.class);
    assertThat(deltas).isEmpty();
  }
}
