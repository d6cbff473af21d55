package io.jindouyun.devllm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnswerGeneratorTests {

  private static ChatRequest request(String model, String user) {
    return new ChatRequest(model, List.of(new ChatRequest.Message("user", user)), true, false, -1);
  }

  @Test
  void sameModelAndMessagesGiveTheSameTokens() {
    assertThat(AnswerGenerator.tokens(request("m", "hi"), 50))
        .isEqualTo(AnswerGenerator.tokens(request("m", "hi"), 50));
    assertThat(AnswerGenerator.answerKey(request("m", "hi")))
        .isEqualTo(AnswerGenerator.answerKey(request("m", "hi")));
  }

  @Test
  void otherModelOrMessagesGiveOtherTokens() {
    List<String> base = AnswerGenerator.tokens(request("m", "hi"), 50);

    assertThat(AnswerGenerator.tokens(request("n", "hi"), 50)).isNotEqualTo(base);
    assertThat(AnswerGenerator.tokens(request("m", "hi!"), 50)).isNotEqualTo(base);
    assertThat(AnswerGenerator.answerKey(request("m", "hi")))
        .isNotEqualTo(AnswerGenerator.answerKey(request("m", "hi!")));
  }

  @Test
  void roleAndContentBoundariesMatter() {
    ChatRequest split =
        new ChatRequest(
            "m",
            List.of(new ChatRequest.Message("user", "ab"), new ChatRequest.Message("user", "c")),
            false,
            false,
            -1);
    ChatRequest moved =
        new ChatRequest(
            "m",
            List.of(new ChatRequest.Message("user", "a"), new ChatRequest.Message("user", "bc")),
            false,
            false,
            -1);

    assertThat(AnswerGenerator.answerKey(split)).isNotEqualTo(AnswerGenerator.answerKey(moved));
  }

  @Test
  void aShorterAnswerIsAPrefixOfALongerOne() {
    assertThat(AnswerGenerator.tokens(request("m", "hi"), 100))
        .startsWith(AnswerGenerator.tokens(request("m", "hi"), 7).toArray(String[]::new));
  }

  @Test
  void everyTokenButTheFirstStartsWithASpace() {
    List<String> tokens = AnswerGenerator.tokens(request("m", "spaces"), 40);

    assertThat(tokens.get(0)).doesNotStartWith(" ");
    assertThat(tokens.subList(1, tokens.size())).allMatch(token -> token.startsWith(" "));
  }

  @Test
  void theVocabularyExercisesUnicodeAndJsonEscaping() {
    assertThat(AnswerGenerator.WORDS)
        .contains("筋斗云", "🐒", "\"quoted\"", "line\nbreak", "back\\slash", "tab\there");
  }
}
