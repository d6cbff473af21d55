package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.devllm.OpenAiJson.Head;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class OpenAiJsonTests {

  private final OpenAiJson json = new OpenAiJson(JsonMapper.builder().build());

  @Test
  void templatedContentChunksEqualTheJacksonOnes() {
    Head head = new Head("chatcmpl-1", 1_700_000_000L, "jdy-content-sentinel \"model\"");
    for (boolean usageField : new boolean[] {true, false}) {
      OpenAiJson.ContentChunks chunks = json.contentChunks(head, usageField);
      for (String word : AnswerGenerator.WORDS) {
        assertThat(chunks.chunk(" " + word))
            .isEqualTo(json.contentChunk(head, " " + word, usageField));
      }
    }
  }
}
