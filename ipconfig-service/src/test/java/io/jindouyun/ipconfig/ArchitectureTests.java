package io.jindouyun.ipconfig;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Package rules, checked on the imports of the main sources. */
class ArchitectureTests {

  private static final Path MAIN = Path.of("src/main/java/io/jindouyun/ipconfig");
  private static final Pattern IMPORT =
      Pattern.compile("^import (?:static )?([\\w.]+)\\.[\\w*]+;", Pattern.MULTILINE);
  private static final String BASE = "io.jindouyun.ipconfig";

  @Test
  void scoringIsPureJava() throws IOException {
    assertThat(imports("scoring"))
        .allMatch(i -> i.startsWith("java.") || i.startsWith(BASE + ".scoring"), "java.* only");
  }

  @Test
  void rankingHasNoSpringJetcdOrJackson() throws IOException {
    assertThat(imports("ranking"))
        .noneMatch(i -> i.startsWith("org.springframework") || i.startsWith("io.etcd"));
  }

  @Test
  void onlyTheWatcherTalksToEtcd() throws IOException {
    for (String pkg : List.of("scoring", "ranking", "config", "api")) {
      assertThat(imports(pkg)).as(pkg).noneMatch(i -> i.startsWith("io.etcd"));
    }
  }

  @Test
  void packagesHaveNoCycles() throws IOException {
    Map<String, Set<String>> graph = new HashMap<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String from = packageOf(file);
        Set<String> to = graph.computeIfAbsent(from, k -> new HashSet<>());
        for (String i : importsOf(file)) {
          if (i.startsWith(BASE) && !i.equals(from)) {
            to.add(i.substring(0, i.lastIndexOf('.')).startsWith(BASE + ".") ? topPackage(i) : i);
          }
        }
        to.remove(from);
      }
    }
    for (String start : graph.keySet()) {
      assertThat(reaches(graph, start, start, new HashSet<>()))
          .as("cycle through " + start)
          .isFalse();
    }
  }

  private static boolean reaches(
      Map<String, Set<String>> graph, String node, String target, Set<String> seen) {
    for (String next : graph.getOrDefault(node, Set.of())) {
      if (next.equals(target) || (seen.add(next) && reaches(graph, next, target, seen))) {
        return true;
      }
    }
    return false;
  }

  private static String topPackage(String importedPackage) {
    String rest = importedPackage.substring(BASE.length() + 1);
    int dot = rest.indexOf('.');
    return BASE + "." + (dot < 0 ? rest : rest.substring(0, dot));
  }

  private static String packageOf(Path file) {
    Path dir = MAIN.relativize(file).getParent();
    return dir == null ? BASE : BASE + "." + dir.toString().replace('/', '.');
  }

  private static List<String> imports(String pkg) throws IOException {
    List<String> all = new ArrayList<>();
    try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        all.addAll(importsOf(file));
      }
    }
    assertThat(all).as("imports of " + pkg).isNotEmpty();
    return all;
  }

  private static List<String> importsOf(Path file) throws IOException {
    List<String> out = new ArrayList<>();
    Matcher m = IMPORT.matcher(Files.readString(file));
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
