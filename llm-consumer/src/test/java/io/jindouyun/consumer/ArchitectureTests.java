package io.jindouyun.consumer;

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
 * Package rules read from the main sources: no cycles between the consumer's feature packages
 * ({@code config} wires them and nothing depends on it); the pure classes free of Spring, Kafka,
 * jetcd, Netty and Reactor types; no {@code block()} and no {@code Thread.sleep} outside the few
 * places that run on their own or the shutdown thread.
 */
class ArchitectureTests {

  private static final String ROOT = "io.jindouyun.consumer";
  private static final Path SOURCES = Path.of("src/main/java/io/jindouyun/consumer");
  private static final Pattern REFERENCE =
      Pattern.compile("\\b(io\\.jindouyun\\.consumer\\.[a-z]+)\\.[A-Z]");
  private static final Pattern IMPORT = Pattern.compile("^import\\s+([\\w.]+);", Pattern.MULTILINE);

  /** Plain logic: unit-tested in milliseconds, no framework or transport types. */
  private static final List<String> PURE =
      List.of(
          "reply/ChunkCoalescer.java",
          "job/OffsetTracker.java",
          "job/AttemptStamps.java",
          "job/JobParser.java",
          "job/InFlightJobs.java",
          "llm/OpenAiStreamParser.java");

  private static final List<String> FRAMEWORKS =
      List.of("org.springframework.", "org.apache.kafka.", "io.etcd.", "io.netty.", "reactor.");

  /** Where blocking is fine: shutdown (not an event loop) and the control reader's own thread. */
  private static final Set<String> MAY_BLOCK =
      Set.of(
          "llm/OpenAiStreamingClient.java", "kafka/JobConsumers.java", "kafka/ControlReader.java");

  private static final Map<String, Set<String>> uses = new TreeMap<>();
  private static final Map<String, String> texts = new TreeMap<>();

  @BeforeAll
  static void readSources() throws IOException {
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String relative = SOURCES.relativize(file).toString().replace('\\', '/');
        String text = Files.readString(file);
        texts.put(relative, text);
        String own =
            relative.contains("/")
                ? ROOT + "." + relative.substring(0, relative.indexOf('/'))
                : ROOT;
        Matcher m = REFERENCE.matcher(text);
        while (m.find()) {
          if (!m.group(1).equals(own)) {
            uses.computeIfAbsent(own, k -> new TreeSet<>()).add(m.group(1));
          }
        }
      }
    }
    assertThat(texts).hasSizeGreaterThan(20);
  }

  @Test
  void featurePackagesHaveNoCycles() {
    List<String> cycles = new ArrayList<>();
    for (String start : uses.keySet()) {
      if (reaches(start, start, new HashSet<>())) {
        cycles.add(start);
      }
    }
    assertThat(cycles).as("packages on a cycle, uses = %s", uses).isEmpty();
  }

  @Test
  void nothingDependsOnTheWiring() {
    uses.forEach((from, to) -> assertThat(to).as("%s uses", from).doesNotContain(ROOT + ".config"));
  }

  @Test
  void pureClassesUseNoFrameworkOrTransportTypes() {
    for (String file : PURE) {
      assertThat(texts).containsKey(file);
      Matcher m = IMPORT.matcher(texts.get(file));
      while (m.find()) {
        String imported = m.group(1);
        assertThat(FRAMEWORKS).as("%s imports %s", file, imported).noneMatch(imported::startsWith);
      }
    }
  }

  @Test
  void noBlockingOutsideTheAllowedPlaces() {
    texts.forEach(
        (file, text) -> {
          if (!MAY_BLOCK.contains(file)) {
            assertThat(text).as(file).doesNotContain(".block(").doesNotContain("Thread.sleep(");
          }
        });
  }

  private static boolean reaches(String from, String target, Set<String> seen) {
    for (String next : uses.getOrDefault(from, Set.of())) {
      if (next.equals(target)) {
        return true;
      }
      if (seen.add(next) && reaches(next, target, seen)) {
        return true;
      }
    }
    return false;
  }
}
