package io.jindouyun.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The shipped alert rules ({@code deploy/prometheus/rules/}) pass {@code promtool check rules} and
 * their unit tests ({@code deploy/prometheus/tests/}, {@code promtool test rules}); both Prometheus
 * configurations pass {@code promtool check config} and load them. promtool comes with the Debian
 * package {@code prometheus}, which {@code ./jdy test} installs. The Grafana dashboard ({@code
 * deploy/grafana/jindouyun.json}) shows what the alerts watch.
 */
@Timeout(60)
class PrometheusRulesTests {

  private static final Path RULES = Path.of("deploy/prometheus/rules/jindouyun.yml");
  private static final Path RULE_TESTS = Path.of("deploy/prometheus/tests/jindouyun.test.yml");
  private static final List<String> ALERTS =
      List.of(
          "JdyTargetDown",
          "JdyBackendDown",
          "JdyBestListStale",
          "JdyBestListNotFromIpconfig",
          "JdyEdgeErrorRate",
          "JdyBackendErrorRate",
          "JdyConsumerLag",
          "JdyByteBudgetNearFull");

  @TempDir Path dir;

  private static ToolRun promtool(Path workDir, String... args) throws Exception {
    Path promtool = ToolRun.onPath("promtool");
    assertThat(promtool)
        .withFailMessage("promtool is not installed: install the Debian package 'prometheus'")
        .isNotNull();
    List<String> command = new ArrayList<>(List.of(promtool.toString()));
    command.addAll(List.of(args));
    return ToolRun.run(workDir, Duration.ofSeconds(30), command);
  }

  @Test
  void alertRulesPassPromtoolCheck() throws Exception {
    ToolRun run = promtool(EdgeConf.repoRoot(), "check", "rules", RULES.toString());

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("SUCCESS: " + ALERTS.size() + " rules found");
  }

  @Test
  void alertRulesPassTheirUnitTests() throws Exception {
    ToolRun run = promtool(EdgeConf.repoRoot(), "test", "rules", RULE_TESTS.toString());

    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output()).contains("SUCCESS");
  }

  @Test
  void everyAlertIsShippedAndFiresInAUnitTest() throws Exception {
    Map<String, Object> rules = yaml(EdgeConf.repoRoot().resolve(RULES));
    List<String> shipped = new ArrayList<>();
    for (Object group : list(rules.get("groups"))) {
      for (Object rule : list(map(group).get("rules"))) {
        shipped.add(map(rule).get("alert").toString());
      }
    }
    List<String> firing = new ArrayList<>();
    for (Object test : list(yaml(EdgeConf.repoRoot().resolve(RULE_TESTS)).get("tests"))) {
      for (Object check : list(map(test).get("alert_rule_test"))) {
        if (!list(map(check).get("exp_alerts")).isEmpty()) {
          firing.add(map(check).get("alertname").toString());
        }
      }
    }

    assertThat(shipped).containsExactlyInAnyOrderElementsOf(ALERTS);
    assertThat(firing).containsAll(ALERTS);
  }

  @Test
  void aUnitTestThatExpectsTheWrongAlertFails() throws Exception {
    Path root = EdgeConf.repoRoot();
    Files.createDirectories(dir.resolve("rules"));
    Files.createDirectories(dir.resolve("tests"));
    Files.copy(root.resolve(RULES), dir.resolve("rules/jindouyun.yml"));
    Files.writeString(
        dir.resolve("tests/wrong.yml"),
        Files.readString(root.resolve(RULE_TESTS))
            .replace("severity: critical, backend_service", "severity: warning, backend_service"));

    ToolRun run = promtool(dir, "test", "rules", "tests/wrong.yml");

    assertThat(run.exitCode()).as(run.output()).isNotZero();
    assertThat(run.output()).contains("FAILED").contains("JdyBackendDown");
  }

  @Test
  void bothPrometheusConfigurationsAreValidAndLoadTheRules() throws Exception {
    Path root = EdgeConf.repoRoot();
    ToolRun local = promtool(root, "check", "config", "deploy/prometheus/prometheus.yml");
    assertThat(local.exitCode()).as(local.output()).isZero();
    assertThat(local.output()).contains("SUCCESS: 1 rule files found");

    // docker/prometheus.yml as the Compose file mounts it: rules/ beside it
    Files.createDirectories(dir.resolve("rules"));
    Files.copy(root.resolve(RULES), dir.resolve("rules/jindouyun.yml"));
    Files.copy(root.resolve("docker/prometheus.yml"), dir.resolve("prometheus.yml"));
    ToolRun compose = promtool(dir, "check", "config", "prometheus.yml");
    assertThat(compose.exitCode()).as(compose.output()).isZero();
    assertThat(compose.output()).contains("SUCCESS: 1 rule files found");
  }

  @Test
  void grafanaDashboardShowsEverySeriesTheAlertsWatchAndTheFiringAlerts() throws Exception {
    Path root = EdgeConf.repoRoot();
    String dashboard = String.join("\n", dashboardQueries(root));
    Matcher names =
        Pattern.compile("\\b(jdy_\\w+|up)\\{?").matcher(Files.readString(root.resolve(RULES)));
    List<String> watched = new ArrayList<>();
    while (names.find()) {
      if (!names.group(1).equals("up")) {
        watched.add(names.group(1));
      }
    }

    assertThat(watched).contains("jdy_edge_list_age_seconds", "jdy_gateway_byte_budget_bytes");
    assertThat(dashboard).contains(watched).contains("ALERTS{");
  }

  @Test
  void grafanaDashboardSelectsBackendsByTheirOwnLabelsInSeconds() throws Exception {
    List<String> queries = dashboardQueries(EdgeConf.repoRoot());

    assertThat(queries)
        .contains(
            "label_values(jdy_backend_up, backend_service)",
            "label_values(jdy_backend_up{backend_service=~\"$service\"}, backend_instance)");
    assertThat(queries)
        .filteredOn(q -> q.contains("jdy_backend_") && !q.startsWith("label_values("))
        .isNotEmpty()
        .allSatisfy(
            q ->
                assertThat(q)
                    .contains("backend_service=~\"$service\"")
                    .doesNotContain("_milliseconds")
                    .doesNotContainPattern("[{,(]\\s*(service|instance)\\b"));
  }

  /** Every PromQL expression of the Grafana dashboard, template variables included. */
  private static List<String> dashboardQueries(Path root) throws Exception {
    JsonNode dashboard =
        JsonMapper.shared()
            .readTree(Files.readString(root.resolve("deploy/grafana/jindouyun.json")));
    List<String> queries = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        queries.add(target.path("expr").asString());
      }
    }
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      if (variable.path("type").asString().equals("query")) {
        queries.add(variable.path("query").asString());
      }
    }
    return queries;
  }

  private static Map<String, Object> yaml(Path file) throws Exception {
    return map(new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file)));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object node) {
    return node == null ? Map.of() : (Map<String, Object>) node;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object node) {
    return node == null ? List.of() : (List<Object>) node;
  }
}
