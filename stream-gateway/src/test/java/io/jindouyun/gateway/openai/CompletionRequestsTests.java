package io.jindouyun.gateway.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CompletionRequestsTests {

  private final CompletionRequests requests = new CompletionRequests(List.of("m1"), 4, 100, 2.0);

  private static Map<String, Object> body() {
    Map<String, Object> body = new HashMap<>();
    body.put("model", "m1");
    body.put("messages", List.of(Map.of("role", "user", "content", "hi")));
    return body;
  }

  private OpenAiError refused(Map<String, Object> body) {
    return catchThrowableOfType(OpenAiError.class, () -> requests.parse(body));
  }

  @Test
  void aPlainRequestBecomesAChatRequestThatDoesNotStream() {
    CompletionRequest req = requests.parse(body());
    assertThat(req.stream()).isFalse();
    assertThat(req.chat().model()).isEqualTo("m1");
    assertThat(req.chat().messages()).singleElement().extracting("content").isEqualTo("hi");
  }

  @Test
  void streamAndIncludeUsageAreHonoured() {
    Map<String, Object> body = body();
    body.put("stream", true);
    body.put("stream_options", Map.of("include_usage", true));
    CompletionRequest req = requests.parse(body);
    assertThat(req.stream()).isTrue();
    assertThat(req.includeUsage()).isTrue();
  }

  @Test
  void textPartsAreJoinedAndDeveloperIsTakenAsSystem() {
    Map<String, Object> body = body();
    body.put(
        "messages",
        List.of(
            Map.of("role", "developer", "content", "be brief"),
            Map.of(
                "role",
                "user",
                "content",
                List.of(
                    Map.of("type", "text", "text", "a"), Map.of("type", "text", "text", "b")))));
    CompletionRequest req = requests.parse(body);
    assertThat(req.chat().messages().get(0).role()).isEqualTo("system");
    assertThat(req.chat().messages().get(1).content()).isEqualTo("ab");
  }

  @Test
  void theSmallerOfMaxTokensAndMaxCompletionTokensIsUsed() {
    Map<String, Object> body = body();
    body.put("max_tokens", 50);
    body.put("max_completion_tokens", 20);
    assertThat(requests.parse(body).chat().maxTokens()).isEqualTo(20);
  }

  @Test
  void anUnknownModelIs404() {
    Map<String, Object> body = body();
    body.put("model", "other");
    OpenAiError e = refused(body);
    assertThat(e.status()).isEqualTo(404);
    assertThat(e.body().get("error")).asString().contains("model_not_found");
  }

  @Test
  void refusalsNameTheField() {
    Map<String, Object> n = body();
    n.put("n", 2);
    assertThat(param(refused(n))).isEqualTo("n");
    Map<String, Object> tools = body();
    tools.put("tools", List.of(Map.of("type", "function")));
    assertThat(param(refused(tools))).isEqualTo("tools");
    Map<String, Object> format = body();
    format.put("response_format", Map.of("type", "json_object"));
    assertThat(param(refused(format))).isEqualTo("response_format");
    Map<String, Object> logprobs = body();
    logprobs.put("logprobs", true);
    assertThat(param(refused(logprobs))).isEqualTo("logprobs");
    Map<String, Object> temperature = body();
    temperature.put("temperature", 3);
    assertThat(param(refused(temperature))).isEqualTo("temperature");
    Map<String, Object> tokens = body();
    tokens.put("max_tokens", 101);
    assertThat(param(refused(tokens))).isEqualTo("max_tokens");
    Map<String, Object> role = body();
    role.put("messages", List.of(Map.of("role", "robot", "content", "x")));
    assertThat(param(refused(role))).isEqualTo("messages[0].role");
    Map<String, Object> last = body();
    last.put("messages", List.of(Map.of("role", "assistant", "content", "x")));
    assertThat(param(refused(last))).isEqualTo("messages");
    Map<String, Object> noModel = body();
    noModel.remove("model");
    assertThat(param(refused(noModel))).isEqualTo("model");
  }

  @Test
  void fieldsThatOnlyTuneSamplingAreIgnored() {
    Map<String, Object> body = body();
    body.put("user", "u");
    body.put("seed", 1);
    body.put("top_p", 0.3);
    body.put("stop", List.of("x"));
    body.put("n", 1);
    body.put("tools", List.of());
    body.put("response_format", Map.of("type", "text"));
    assertThat(requests.parse(body).chat().messages()).hasSize(1);
  }

  @Test
  void aBodyThatIsNotAnObjectIsRefused() {
    OpenAiError e = catchThrowableOfType(OpenAiError.class, () -> requests.parse(List.of()));
    assertThat(e.status()).isEqualTo(400);
  }

  @SuppressWarnings("unchecked")
  private static String param(OpenAiError e) {
    assertThat(e.status()).isEqualTo(400);
    return (String) ((Map<String, Object>) e.body().get("error")).get("param");
  }
}
