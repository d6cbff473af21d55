package io.jindouyun.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Package rules read from the main sources' imports (and fully qualified names): no cycles between
 * the gateway's feature packages; the pure stream map free of Spring, Kafka, jetcd, Netty and
 * Reactor; no blocking {@code block()} calls or {@code Thread.sleep} anywhere in the gateway.
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.gateway";
  private static final Path SOURCES = Path.of("src/main/java/io/jindouyun/gateway");
  private static final Pattern REFERENCE =
      Pattern.compile("\\b(io\\.jindouyun\\.gateway\\.[a-z]+)\\.[A-Z]");
  private static final Pattern IMPORT =
      Pattern.compile("^import\\s+(static\\s+)?([\\w.]+);", Pattern.MULTILINE);

  private static final Map<String, Set<String>> uses = new TreeMap<>();
  private static final Map<String, Set<String>> imports = new TreeMap<>();
  private static final Map<Path, String> texts = new TreeMap<>();

  @BeforeAll
  static void readSources() throws IOException {
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = Files.readString(file);
        texts.put(file, text);
        String pkg = packageOf(text);
        Set<String> targets = uses.computeIfAbsent(pkg, k -> new TreeSet<>());
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
          if (!m.group(1).equals(pkg)) {
            targets.add(m.group(1));
          }
        }
        Matcher i = IMPORT.matcher(text);
        while (i.find()) {
          imports.computeIfAbsent(pkg, k -> new TreeSet<>()).add(i.group(2));
        }
      }
    }
  }

  private static String packageOf(String text) {
    Matcher m = Pattern.compile("^package\\s+([\\w.]+);", Pattern.MULTILINE).matcher(text);
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  @Test
  void featurePackagesHaveNoCycles() {
    assertThat(uses.keySet()).contains(ROOT + ".stream", ROOT + ".handshake", ROOT + ".sse");
    for (String start : uses.keySet()) {
      List<String> path = new ArrayList<>();
      assertThat(cycleFrom(start, start, path, new HashSet<>()))
          .as("package cycle through " + start + ": " + path)
          .isFalse();
    }
  }

  private static boolean cycleFrom(String start, String at, List<String> path, Set<String> seen) {
    for (String next : uses.getOrDefault(at, Set.of())) {
      if (next.equals(start)) {
        path.add(at);
        return true;
      }
      if (seen.add(next) && cycleFrom(start, next, path, seen)) {
        path.add(at);
        return true;
      }
    }
    return false;
  }

  @Test
  void theStreamMapIsPureLogic() {
    assertThat(imports.get(ROOT + ".stream"))
        .allSatisfy(
            i ->
                assertThat(i)
                    .doesNotStartWith("org.springframework")
                    .doesNotStartWith("org.apache.kafka")
                    .doesNotStartWith("io.etcd")
                    .doesNotStartWith("io.netty")
                    .doesNotStartWith("reactor"));
    assertThat(uses.get(ROOT + ".stream")).containsOnly(ROOT + ".problem");
  }

  @Test
  void nothingBlocksOrSleeps() {
    assertThat(texts)
        .allSatisfy(
            (file, text) ->
                assertThat(text)
                    .as(file.toString())
                    .doesNotContain(".block(")
                    .doesNotContain(".blockFirst(")
                    .doesNotContain(".blockLast(")
                    .doesNotContain("Thread.sleep("));
  }
}
