package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class ChatRequestParserTests {

  private final ChatRequestParser parser = new ChatRequestParser(JsonMapper.builder().build());

  @Test
  void readsTheFieldsAnOpenAiClientSends() {
    ChatRequest request =
        parser.parse(
            """
            {"model":"jdy-dev-mini","stream":true,"stream_options":{"include_usage":true},
             "max_tokens":12,"temperature":0.2,
             "messages":[{"role":"system","content":"be brief"},
                         {"role":"user","content":[{"type":"text","text":"hello "},
                                                   {"type":"text","text":"there"}]},
                         {"role":"assistant","content":null}]}
            """);

    assertThat(request.model()).isEqualTo("jdy-dev-mini");
    assertThat(request.stream()).isTrue();
    assertThat(request.includeUsage()).isTrue();
    assertThat(request.maxTokens()).isEqualTo(12);
    assertThat(request.messages()).hasSize(3);
    assertThat(request.lastUserContent()).isEqualTo("hello there");
    assertThat(request.promptTokens()).isEqualTo(4);
  }

  @Test
  void maxCompletionTokensWinsOverMaxTokensAndModelDefaults() {
    ChatRequest request =
        parser.parse(
            "{\"max_completion_tokens\":3,\"max_tokens\":9,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");

    assertThat(request.maxTokens()).isEqualTo(3);
    assertThat(request.model()).isEqualTo(ChatRequest.DEFAULT_MODEL);
    assertThat(request.stream()).isFalse();
  }

  @Test
  void rejectsMalformedOrIncompleteBodies() {
    assertThatThrownBy(() -> parser.parse("{\"messages\": ["))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> parser.parse("")).isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> parser.parse("[]")).isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> parser.parse("{\"model\":\"m\"}"))
        .isInstanceOf(BadRequestException.class)
        .extracting(e -> ((BadRequestException) e).param())
        .isEqualTo("messages");
    assertThatThrownBy(() -> parser.parse("{\"messages\":[]}"))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> parser.parse("{\"messages\":[{\"content\":\"no role\"}]}"))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(
            () -> parser.parse("{\"stream\":\"yes\",\"messages\":[{\"role\":\"user\"}]}"))
        .isInstanceOf(BadRequestException.class);
    assertThatThrownBy(() -> parser.parse("{\"max_tokens\":0,\"messages\":[{\"role\":\"user\"}]}"))
        .isInstanceOf(BadRequestException.class);
  }
}
