package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docker-compose.yml passes the Compose Specification schema, checked by the shared tool {@code
 * ../shared/tools/validate-compose} (relative to the repository root; needs node and npm).
 */
@Timeout(300)
class ComposeFileTests {

  @Test
  void composeFileIsValidAgainstTheComposeSpecification() throws Exception {
    Path root = EdgeConf.repoRoot();
    Path tool = root.getParent().resolve("shared/tools/validate-compose");
    assertThat(Files.isExecutable(tool))
        .withFailMessage(
            "%s is missing or not executable: CI checks docker-compose.yml with it"
                + " (it needs node and npm)",
            tool)
        .isTrue();
    assertThat(ToolRun.onPath("npm"))
        .withFailMessage("validate-compose needs node and npm: install the Debian package 'npm'")
        .isNotNull();

    ToolRun run =
        ToolRun.run(root, Duration.ofSeconds(280), List.of(tool.toString(), "docker-compose.yml"));

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("valid");
  }

  @Test
  void composeFileRunsTheWholeTopologyWithImagesBuiltFromTheRepository() throws Exception {
    String compose = Files.readString(EdgeConf.repoRoot().resolve("docker-compose.yml"));

    for (String service :
        List.of(
            "etcd:",
            "kafka:",
            "prometheus:",
            "edge:",
            "ipconfig:",
            "exporter:",
            "gw-1:",
            "gw-2:",
            "llm-consumer:",
            "dev-llm:")) {
      assertThat(compose).contains("\n  " + service);
    }
    assertThat(compose).contains("image: apache/kafka:").contains("KAFKA_PROCESS_ROLES");
    assertThat(compose).contains("dockerfile: docker/service.Dockerfile");
    assertThat(compose).contains("dockerfile: docker/edge.Dockerfile");
  }
}
