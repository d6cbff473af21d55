package io.jindouyun.edge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A service of this repository run from its {@code -exec.jar} as its own JVM, output to a log file;
 * {@link #close()} stops it (SIGTERM, bounded wait, then kill). Not thread-safe.
 */
final class JavaService implements AutoCloseable {

  private final String name;
  private final Process process;
  private final Path log;

  private JavaService(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** The exec jar of {@code module}; fails the test with how to build it when missing. */
  static Path execJar(String module) {
    Path target = EdgeConf.repoRoot().resolve(module).resolve("target");
    try (var files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith("-exec.jar"))
          .findFirst()
          .orElseThrow();
    } catch (IOException | java.util.NoSuchElementException e) {
      throw new IllegalStateException(
          "no "
              + module
              + "/target/*-exec.jar: build it first (mvn -o -pl "
              + module
              + " install)");
    }
  }

  static JavaService start(String name, String module, Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    command.addAll(List.of("-jar", execJar(module).toString()));
    command.addAll(args);
    try {
      Path log = Files.createTempFile("jdy-" + name + "-", ".log");
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(env);
      return new JavaService(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The last lines of the log, for failure messages. */
  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return name
          + " log:\n"
          + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return name + " log unreadable: " + e.getMessage();
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(Duration.ofSeconds(15).toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
      Files.deleteIfExists(log);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException ignored) {
      // the log stays
    }
  }
}
