package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.devllm.DevLlmServer;
import io.jindouyun.devllm.DevLlmSettings;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.JavaService;
import io.jindouyun.testkit.KafkaExtension;
import io.jindouyun.testkit.NginxExtension;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official {@code openai} npm package (pinned in {@code src/test/node/openai-sdk}, installed
 * with {@code npm ci}) against the real edge in front of a real gateway, llm-consumer, Kafka, etcd
 * and ipconfig, with the development LLM in this JVM: a streamed answer equal to the LLM's, a whole
 * one, an abort mid-stream that closes the LLM call, and errors the SDK reads as OpenAI's.
 */
@Timeout(300)
class OpenAiSdkIntegrationTests {

  private static final Path SDK_DIR = Path.of("src/test/node/openai-sdk");
  private static final String MODEL = "jdy-dev-1";
  private static final String SHORT = "Tell me about the cloud [dev:tokens=40]";
  private static final String LONG = "A long one [dev:tokens=400] [dev:delay=20]";
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
  @RegisterExtension static final KafkaExtension kafka = new KafkaExtension();
  @RegisterExtension static final NginxExtension nginx = new NginxExtension();

  static final List<JavaService> services = new ArrayList<>();
  static DevLlmServer llm;

  @BeforeAll
  static void start() throws Exception {
    ToolRun install =
        ToolRun.run(
            SDK_DIR,
            Duration.ofMinutes(3),
            List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"));
    assertThat(install.exitCode()).as(install.output()).isZero();

    RealSuite.createTopics(kafka);
    llm = DevLlmServer.start(DevLlmSettings.DEFAULTS);
    int ipconfigPort = FreePorts.next();
    services.add(RealSuite.startIpconfig(ipconfigPort, etcd));
    int gatewayPort = FreePorts.next();
    services.add(RealSuite.startGateway("gw-1", gatewayPort, etcd, kafka));
    services.add(RealSuite.startConsumer(etcd, kafka, llm.baseUrl()));
    RealSuite.awaitRegistered(services, ipconfigPort, "gw-1");
    RealSuite.startEdge(
        nginx,
        new EdgeConf()
            .ipconfig("http://127.0.0.1:" + ipconfigPort)
            .staticGateways("gw-1=127.0.0.1:" + gatewayPort)
            .set("poll_wait", "5"));
  }

  @AfterAll
  static void stop() {
    nginx.stop();
    services.forEach(JavaService::close);
    if (llm != null) {
      llm.close();
    }
  }

  @Test
  void theOfficialSdkStreamsReadsWholeAbortsAndReadsErrorsThroughTheEdge() throws Exception {
    long closed = llm.closedEarly();
    ToolRun run =
        ToolRun.run(
            SDK_DIR,
            Duration.ofMinutes(2),
            List.of(
                "node",
                "sdk-check.mjs",
                "http://127.0.0.1:" + nginx.port() + "/v1",
                RealSuite.jwt("sdk-user"),
                MODEL,
                SHORT,
                LONG));
    assertThat(run.exitCode()).as(run.output()).isZero();
    String line =
        run.output().lines().filter(l -> l.startsWith("RESULT ")).findFirst().orElseThrow();
    JsonNode result = JSON.readTree(line.substring("RESULT ".length()));
    String expected = answer(SHORT);

    assertThat(result.path("streamText").asString()).isEqualTo(expected);
    assertThat(result.path("streamFinish").asString()).isEqualTo("stop");
    assertThat(result.path("streamUsageTotal").asInt()).isPositive();

    assertThat(result.path("wholeObject").asString()).isEqualTo("chat.completion");
    assertThat(result.path("wholeText").asString()).isEqualTo(expected);
    assertThat(result.path("wholeFinish").asString()).isEqualTo("stop");

    assertThat(result.path("abortedAfter").asInt()).isEqualTo(3);
    assertThat(llm.awaitClosedEarly(closed + 1, Duration.ofSeconds(30))).isTrue();

    assertThat(result.path("unknownModel").path("status").asInt()).isEqualTo(404);
    assertThat(result.path("unknownModel").path("code").asString()).isEqualTo("model_not_found");
    assertThat(result.path("twoChoices").path("status").asInt()).isEqualTo(400);
    assertThat(result.path("twoChoices").path("param").asString()).isEqualTo("n");
  }

  /** What the development LLM answers to {@code prompt}, asked straight. */
  private static String answer(String prompt) throws Exception {
    String body =
        JSON.writeValueAsString(
            Map.of("model", MODEL, "messages", List.of(Map.of("role", "user", "content", prompt))));
    HttpResponse<String> response =
        RealSuite.http.send(
            HttpRequest.newBuilder(URI.create(llm.baseUrl() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body())
        .path("choices")
        .path(0)
        .path("message")
        .path("content")
        .asString();
  }
}
