package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.devllm.DevLlmServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;

/**
 * Issue 17 in a real browser: the chat page and the operator's page served by the edge, driven in
 * Debian's {@code chromium} by {@code playwright-core} ({@code src/test/browser/scenarios.mjs},
 * installed by {@code ./jdy test} with {@code npm ci}) against etcd, Kafka, ipconfig-service, two
 * stream-gateways and an llm-consumer (exec jars) and the development LLM (in this JVM, for its
 * early-close count) behind nginx with the real configuration. Each scenario is one bounded {@code
 * node} run; screenshots go to {@code target/browser/}.
 */
@Timeout(400)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(1)
class BrowserIntegrationTests {

  private static final Duration SCENARIO_TIMEOUT = Duration.ofSeconds(120);

  /** A slow answer (about 6 s) that a scenario can interrupt. */
  private static final String SLOW = "Tell me a long story [dev:tokens=60] [dev:delay=100]";

  @RegisterExtension static final RealFleet fleet = new RealFleet();

  @BeforeAll
  static void checkTheBrowser() {
    assertThat(browserFolder().resolve("node_modules/playwright-core"))
        .as("playwright-core: ./jdy test runs npm ci in edge-tests/src/test/browser")
        .exists();
    assertThat(Path.of(chromium())).as("chromium: ./jdy test installs it").exists();
  }

  static Path browserFolder() {
    return EdgeConf.repoRoot().resolve("edge-tests/src/test/browser");
  }

  static String chromium() {
    return System.getenv().getOrDefault("JDY_CHROMIUM", "/usr/bin/chromium");
  }

  /** Runs one scenario of scenarios.mjs as {@code user} and returns its RESULT JSON. */
  static JsonNode scenario(String name, String user, Map<String, String> extra) throws Exception {
    Path out = EdgeConf.repoRoot().resolve("edge-tests/target/browser");
    Files.createDirectories(out);
    List<String> command = new ArrayList<>();
    command.add("env");
    command.add("EDGE_URL=http://127.0.0.1:" + fleet.port());
    command.add("TOKEN=" + RealSuite.jwt(user));
    command.add("CHROMIUM=" + chromium());
    command.add("OUT=" + out);
    extra.forEach((k, v) -> command.add(k + "=" + v));
    command.add("node");
    command.add("scenarios.mjs");
    command.add(name);
    ToolRun run = ToolRun.run(browserFolder(), SCENARIO_TIMEOUT, command);
    assertThat(run.exitCode()).as("scenario %s:\n%s", name, run.output()).isZero();
    String line =
        run.output().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    return EdgeClient.JSON.readTree(line.substring("RESULT ".length()));
  }

  /** The development LLM's whole answer to one user message (it is deterministic). */
  static String llmAnswer(String prompt) throws Exception {
    String body =
        EdgeClient.JSON.writeValueAsString(
            Map.of(
                "model",
                DevLlmServer.MODEL_1,
                "messages",
                List.of(Map.of("role", "user", "content", prompt))));
    HttpResponse<String> response =
        RealSuite.http.send(
            HttpRequest.newBuilder(URI.create(fleet.llm().baseUrl() + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return EdgeClient.JSON
        .readTree(response.body())
        .path("choices")
        .path(0)
        .path("message")
        .path("content")
        .asString();
  }

  @Test
  @Order(1)
  void aPromptStreamsAndTheFinalTextIsTheLlmsAnswer() throws Exception {
    String prompt = "Tell me about the cloud";
    JsonNode result = scenario("stream", "alice", Map.of("PROMPT", prompt));
    assertThat(result.path("state").asString()).isEqualTo("done");
    assertThat(result.path("text").asString()).isEqualTo(llmAnswer(prompt)).isNotEmpty();
  }

  @Test
  @Order(2)
  void stopCancelsTheAnswerUpstream() throws Exception {
    long closedBefore = fleet.llm().closedEarly();
    JsonNode result = scenario("stop", "bob", Map.of("PROMPT", SLOW));
    assertThat(result.path("state").asString()).isEqualTo("stopped");
    assertThat(result.path("text").asString()).isNotEmpty().isNotEqualTo(llmAnswer(SLOW));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(fleet.llm().closedEarly()).isGreaterThan(closedBefore));
  }

  @Test
  @Order(3)
  void regenerateSupersedesTheOlderAnswer() throws Exception {
    JsonNode result = scenario("regenerate", "carol", Map.of("PROMPT", SLOW));
    assertThat(result.path("older").asString()).isEqualTo("superseded");
    assertThat(result.path("label").asString()).contains("Superseded");
    assertThat(result.path("newer").asString()).isEqualTo("done");
    assertThat(result.path("text").asString()).isEqualTo(llmAnswer(SLOW));
  }

  @Test
  @Order(4)
  void theAnswerCompletesExactlyAfterTheNetworkDroppedMidAnswer() throws Exception {
    JsonNode result = scenario("offline", "dave", Map.of("PROMPT", SLOW));
    assertThat(result.path("state").asString()).isEqualTo("done");
    assertThat(result.path("text").asString()).isEqualTo(llmAnswer(SLOW));
    assertThat(result.path("resumed").asBoolean())
        .as("the stream was opened again from its last chunk: %s", result)
        .isTrue();
  }

  @Test
  @Order(5)
  void htmlInThePromptAndTheAnswerRendersAsText() throws Exception {
    String prompt = "Echo this: <img src=x onerror=\"window.__xss=1\"> <b>bold</b>";
    JsonNode result = scenario("xss", "erin", Map.of("PROMPT", prompt));
    assertThat(result.path("state").asString()).isEqualTo("done");
    assertThat(result.path("user").asString()).contains("<img src=x onerror=\"window.__xss=1\">");
    assertThat(result.path("xss").isNull()).as("no injected script ran").isTrue();
    assertThat(result.path("images").asInt()).isZero();
    assertThat(result.path("bold").asInt()).isZero();
  }

  @Test
  @Order(6)
  void severalTabsReadOneStream() throws Exception {
    String prompt = "Two tabs, one answer";
    JsonNode result = scenario("tabs", "frank", Map.of("PROMPT", prompt));
    String expected = llmAnswer(prompt);
    assertThat(result.path("first").path("text").asString()).isEqualTo(expected);
    assertThat(result.path("second").path("text").asString()).isEqualTo(expected);
  }

  @Test
  @Order(7)
  void anExpiredOrRejectedTokenShowsTheSignInAgain() throws Exception {
    long past = System.currentTimeMillis() / 1000 - 60;
    JsonNode result =
        scenario(
            "expired",
            "gina",
            Map.of(
                "EXPIRED_TOKEN", RealSuite.jwt("gina", past, RealSuite.SECRET),
                "BAD_TOKEN",
                    RealSuite.jwt(
                        "gina", past + 3600, "another-secret-0123456789abcdef-0123456789")));
    assertThat(result.path("expired").asString()).contains("expired");
    assertThat(result.path("rejected").asString()).contains("401");
    assertThat(result.path("chatHidden").asBoolean()).isTrue();
  }

  @Test
  @Order(8)
  void theOperatorsPageShowsBothGatewaysAndAnOverride() throws Exception {
    JsonNode before = scenario("ops", "ops", Map.of("STRATEGY", "score"));
    assertThat(before.path("weights").path("gw-1").isNumber()).isTrue();
    assertThat(before.path("weights").path("gw-2").isNumber()).isTrue();
    assertThat(before.path("edgeRows").asInt()).isEqualTo(2);
    List<String> basis = new ArrayList<>();
    before.path("basis").forEach(b -> basis.add(b.asString()));
    assertThat(basis)
        .as("each weight's basis from /v1/scores")
        .hasSize(2)
        .allMatch(b -> b.matches("(stale|prior|observed|model).*"));
    RealSuite.override(
        fleet.etcd(), "{\"strategy\":\"manual\",\"weights\":{\"gw-1\":3,\"gw-2\":1}}");
    try {
      JsonNode after = scenario("ops", "ops", Map.of("STRATEGY", "manual", "SHOT", "ops-override"));
      assertThat(after.path("weights").path("gw-1").asInt()).isEqualTo(3);
      assertThat(after.path("weights").path("gw-2").asInt()).isEqualTo(1);
      assertThat(after.path("override").asString()).contains("manual").contains("\"gw-1\":3");
    } finally {
      fleet
          .etcd()
          .client()
          .getKVClient()
          .delete(
              io.etcd.jetcd.ByteSequence.from(
                  RealSuite.OVERRIDE, java.nio.charset.StandardCharsets.UTF_8))
          .get(5, java.util.concurrent.TimeUnit.SECONDS);
    }
  }
}
