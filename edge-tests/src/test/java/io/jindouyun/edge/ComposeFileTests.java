package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * docker-compose.yml passes the Compose Specification's JSON Schema (draft-07), vendored under
 * {@code src/test/resources/compose-spec/} (Apache-2.0, see the NOTICE there) and checked in this
 * JVM, without a Docker engine or a network.
 *
 * <p>The YAML is read with SnakeYAML, not Jackson's YAML module: the file uses anchors, aliases and
 * {@code <<} merge keys, which Compose applies and Jackson reports as plain strings.
 */
@Timeout(60)
class ComposeFileTests {

  private static Schema compose;

  @BeforeAll
  static void loadTheSchema() {
    compose =
        SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
            .getSchema(SchemaLocation.of("classpath:compose-spec/compose-spec.json"));
  }

  @Test
  void composeFileIsValidAgainstTheComposeSpecification() throws Exception {
    String file = Files.readString(EdgeConf.repoRoot().resolve("docker-compose.yml"));

    assertThat(violations(file)).isEmpty();
  }

  @Test
  void aServiceWithAnUnknownKeyOrAWrongTypeIsRejected() {
    assertThat(violations("services:\n  a:\n    image: x\n    colour: blue\n"))
        .singleElement()
        .asString()
        .contains("colour");
    assertThat(violations("services:\n  a:\n    image: x\n    ports: 8080\n"))
        .singleElement()
        .asString()
        .contains("ports");
  }

  @Test
  void mergedKeysAreValidatedLikeTheirOwn() {
    String merged =
        "x-base: &base\n  restart: [always]\nservices:\n  a:\n    <<: *base\n    image: x\n";

    assertThat(violations(merged)).singleElement().asString().contains("restart");
    assertThat(violations(merged.replace("[always]", "always"))).isEmpty();
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

  /** What the schema finds wrong with the Compose document {@code yaml}, one line per error. */
  private static List<String> violations(String yaml) {
    Object document = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    JsonNode tree = JsonMapper.shared().valueToTree(document);
    return compose.validate(tree).stream().map(Object::toString).toList();
  }
}
