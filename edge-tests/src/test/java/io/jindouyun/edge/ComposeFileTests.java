package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
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
 *
 * <p>Beyond the schema, what a Compose file needs to run here, read from the parsed file (merge
 * keys applied), the Dockerfiles, {@code .dockerignore} and the Grafana provisioning files: metrics
 * servers bound beyond loopback, volumes where the programs write, a health check per long-running
 * service and {@code service_healthy} conditions, a small build context, a Maven cache mount.
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

  @Test
  void backendsServeTheirGrpcMetricsBeyondLoopbackSoTheExporterReachesThem() throws Exception {
    Map<String, Map<String, Object>> services = services();
    List<String> backends = new ArrayList<>();

    services.forEach(
        (name, service) -> {
          Map<String, Object> env = map(service.get("environment"));
          if (env.containsKey("JINDOUYUN_METRICS_GRPCPORT")) {
            backends.add(name);
            assertThat(env.get("JINDOUYUN_METRICS_BINDADDRESS")).as(name).isEqualTo("0.0.0.0");
          }
        });

    assertThat(backends).containsExactlyInAnyOrder("gw-1", "gw-2", "llm-consumer");
  }

  @Test
  void gatewaysAcceptTheDevelopmentSecretOnlyInTheDevProfileWhichIsTheDefault() throws Exception {
    services()
        .forEach(
            (name, service) -> {
              Map<String, Object> env = map(service.get("environment"));
              if (env.containsKey("JINDOUYUN_SECURITY_JWTSECRET")) {
                assertThat(env.get("SPRING_PROFILES_ACTIVE"))
                    .as("%s: the profile, overridable, dev by default", name)
                    .isEqualTo("${JINDOUYUN_PROFILE:-dev}");
                assertThat(env.get("JINDOUYUN_SECURITY_JWTSECRET").toString())
                    .as(name)
                    .startsWith("${JINDOUYUN_JWT_SECRET:-");
              }
            });
  }

  @Test
  void volumesAreMountedWhereTheProgramsWrite() throws Exception {
    Map<String, Map<String, Object>> services = services();

    Map<String, Object> kafka = services.get("kafka");
    assertThat(volumeTarget(kafka, "kafka-data"))
        .isEqualTo(map(kafka.get("environment")).get("KAFKA_LOG_DIRS"));
    Map<String, Object> etcd = services.get("etcd");
    assertThat(list(etcd.get("command"))).contains("--data-dir=" + volumeTarget(etcd, "etcd-data"));
  }

  @Test
  void everyLongRunningServiceHasAHealthCheckAndDependentsWaitUntilItIsHealthy() throws Exception {
    Map<String, Map<String, Object>> services = services();

    services.forEach(
        (name, service) -> {
          if (!"no".equals(service.get("restart"))) {
            assertThat(list(map(service.get("healthcheck")).get("test"))).as(name).isNotEmpty();
          }
          map(service.get("depends_on"))
              .forEach(
                  (dependency, how) -> {
                    boolean oneShot = "no".equals(services.get(dependency).get("restart"));
                    assertThat(map(how).get("condition"))
                        .as(name + " -> " + dependency)
                        .isEqualTo(oneShot ? "service_completed_successfully" : "service_healthy");
                  });
        });
    assertThat(map(services.get("edge").get("depends_on")))
        .containsKeys("ipconfig", "gw-1", "gw-2");
  }

  @Test
  void buildContextLeavesOutVersionControlRunStateAndBuildOutput() throws Exception {
    List<String> ignored =
        Files.readAllLines(EdgeConf.repoRoot().resolve(".dockerignore")).stream()
            .map(String::strip)
            .filter(line -> !line.isEmpty() && !line.startsWith("#"))
            .toList();

    assertThat(ignored).contains(".git", ".jdy", "**/target", "**/node_modules");
  }

  @Test
  void mavenBuildKeepsItsRepositoryInABuildKitCacheMount() throws Exception {
    String dockerfile = Files.readString(EdgeConf.repoRoot().resolve("docker/service.Dockerfile"));

    assertThat(dockerfile).startsWith("# syntax=docker/dockerfile:1");
    String run = dockerfile.substring(dockerfile.indexOf("\nRUN --mount=type=cache"));
    assertThat(run.substring(0, run.indexOf("package")))
        .contains("--mount=type=cache,target=/root/.m2")
        .contains("mvn ");
  }

  @Test
  void grafanaIsProvisionedWithTheDashboardAndThePrometheusDataSource() throws Exception {
    Path root = EdgeConf.repoRoot();
    Map<String, Map<String, Object>> services = services();
    assertThat(services).containsKeys("grafana", "prometheus");
    Map<String, Object> grafana = services.get("grafana");
    Map<String, String> mounts = bindMounts(grafana);

    Map<String, Object> datasources =
        yamlMap(
            Files.readString(
                root.resolve(
                    mounts.get("/etc/grafana/provisioning/datasources") + "/prometheus.yml")));
    Map<String, Object> source = map(list(datasources.get("datasources")).get(0));
    assertThat(source).containsEntry("type", "prometheus").containsEntry("isDefault", true);
    String url = map(grafana.get("environment")).get("PROMETHEUS_URL").toString();
    assertThat(source.get("url")).isEqualTo("${PROMETHEUS_URL}");
    assertThat(url).isEqualTo("http://" + address(services.get("prometheus")) + ":9090");

    Map<String, Object> dashboards =
        yamlMap(
            Files.readString(
                root.resolve(
                    mounts.get("/etc/grafana/provisioning/dashboards") + "/jindouyun.yml")));
    String folder =
        map(map(list(dashboards.get("providers")).get(0)).get("options")).get("path").toString();
    assertThat(mounts).containsEntry(folder + "/jindouyun.json", "deploy/grafana/jindouyun.json");
    assertThat(map(grafana.get("depends_on"))).containsKey("prometheus");
  }

  @Test
  void everyBindMountedFileOrFolderIsInTheRepository() throws Exception {
    Path root = EdgeConf.repoRoot();

    services()
        .forEach(
            (name, service) ->
                bindMounts(service)
                    .values()
                    .forEach(source -> assertThat(root.resolve(source)).as(name).exists()));
  }

  @Test
  void prometheusLoadsTheShippedRulesAndScrapesTheEdge() throws Exception {
    Map<String, Map<String, Object>> services = services();
    Map<String, String> mounts = bindMounts(services.get("prometheus"));
    Map<String, Object> config =
        yamlMap(
            Files.readString(
                EdgeConf.repoRoot().resolve(mounts.get("/etc/prometheus/prometheus.yml"))));

    assertThat(list(config.get("rule_files"))).containsExactly("rules/*.yml");
    assertThat(mounts).containsEntry("/etc/prometheus/rules", "deploy/prometheus/rules");
    Map<String, Object> edgeJob =
        list(config.get("scrape_configs")).stream()
            .map(ComposeFileTests::map)
            .filter(job -> "edge".equals(job.get("job_name")))
            .findFirst()
            .orElseThrow();
    assertThat(edgeJob).containsEntry("metrics_path", "/_edge/metrics");
    assertThat(list(map(list(edgeJob.get("static_configs")).get(0)).get("targets")))
        .containsExactly(address(services.get("edge")) + ":8080");
    assertThat(map(services.get("edge").get("environment")))
        .containsEntry("METRICS_ALLOW", address(services.get("prometheus")));
  }

  @Test
  void edgeEntrypointOpensTheMetricsToPrometheusAndSendsTheOpsQueriesThere(@TempDir Path dir)
      throws Exception {
    Path root = EdgeConf.repoRoot();
    Map<String, Object> edge = map(services().get("edge").get("environment"));
    // the entrypoint up to its exec, with the image's folders moved into dir
    String script =
        Files.readString(root.resolve("docker/edge-entrypoint.sh"))
            .replace("home=/opt/jindouyun/openresty", "home=" + root.resolve("openresty"))
            .replace("prefix=/var/lib/jindouyun-edge", "prefix=" + dir)
            .replaceAll("(?m)^exec .*$", "");
    Files.writeString(dir.resolve("entrypoint.sh"), script);
    List<String> command =
        List.of(
            "env",
            "EDGE_PORT=" + edge.get("EDGE_PORT"),
            "IPCONFIG_URL=" + edge.get("IPCONFIG_URL"),
            "GATEWAYS=" + edge.get("GATEWAYS"),
            "METRICS_ALLOW=" + edge.get("METRICS_ALLOW"),
            "PROMETHEUS_URL=" + edge.get("PROMETHEUS_URL"),
            "sh",
            dir.resolve("entrypoint.sh").toString());

    ToolRun run = ToolRun.run(dir, Duration.ofSeconds(20), command);

    assertThat(run.exitCode()).as(run.output()).isZero();
    String conf = Files.readString(dir.resolve("conf/nginx.conf"));
    String metrics = conf.substring(conf.indexOf("location = /_edge/metrics {"));
    assertThat(metrics.substring(0, metrics.indexOf('}')))
        .contains("allow 127.0.0.1; allow " + address(services().get("prometheus")) + ";");
    assertThat(conf)
        .contains("proxy_pass " + edge.get("PROMETHEUS_URL") + ";")
        .doesNotContain("listen 127.0.0.1:")
        // no template placeholder left (nginx's own ${variable}s are lower case)
        .doesNotContainPattern("\\$\\{[A-Z_]+\\}");
  }

  private static Map<String, Map<String, Object>> services() throws Exception {
    Map<String, Object> document =
        yamlMap(Files.readString(EdgeConf.repoRoot().resolve("docker-compose.yml")));
    Map<String, Map<String, Object>> services = new LinkedHashMap<>();
    map(document.get("services")).forEach((name, service) -> services.put(name, map(service)));
    return services;
  }

  /** The service's IPv4 address on the {@code jdy} network. */
  private static String address(Map<String, Object> service) {
    return map(map(service.get("networks")).get("jdy")).get("ipv4_address").toString();
  }

  /** Short-syntax bind mounts ({@code ./source:target[:ro]}): target to repository path. */
  private static Map<String, String> bindMounts(Map<String, Object> service) {
    Map<String, String> mounts = new LinkedHashMap<>();
    for (Object volume : list(service.get("volumes"))) {
      String[] parts = volume.toString().split(":");
      if (parts[0].startsWith("./")) {
        mounts.put(parts[1], parts[0].substring(2));
      }
    }
    return mounts;
  }

  /** Target of the named volume {@code name} in the service's volumes. */
  private static String volumeTarget(Map<String, Object> service, String name) {
    return list(service.get("volumes")).stream()
        .map(Object::toString)
        .filter(v -> v.startsWith(name + ":"))
        .map(v -> v.split(":")[1])
        .findFirst()
        .orElseThrow(() -> new AssertionError("no volume " + name + " in " + service));
  }

  private static Map<String, Object> yamlMap(String yaml) {
    return map(new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node) {
    return node == null ? Map.of() : (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node) {
    return node == null ? List.of() : (List<Object>) node;
  }

  /** What the schema finds wrong with the Compose document {@code yaml}, one line per error. */
  private static List<String> violations(String yaml) {
    Object document = new Yaml(new SafeConstructor(new LoaderOptions())).load(yaml);
    JsonNode tree = JsonMapper.shared().valueToTree(document);
    return compose.validate(tree).stream().map(Object::toString).toList();
  }
}
