package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A child process with its output in a log file, stopped gracefully with a bounded wait.
 *
 * <p>Not thread-safe: a fixture owns its process and calls it from the test thread.
 */
final class ManagedProcess {

  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final String name;
  private final List<String> command;
  private final Path log;
  private final Map<String, String> env;
  private Process process;

  ManagedProcess(String name, List<String> command, Path log) {
    this(name, command, log, Map.of());
  }

  /** With {@code env} added to this JVM's environment. */
  ManagedProcess(String name, List<String> command, Path log, Map<String, String> env) {
    this.name = name;
    this.command = List.copyOf(command);
    this.log = log;
    this.env = Map.copyOf(env);
  }

  void start() {
    if (isAlive()) {
      return;
    }
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().putAll(env);
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + command, e);
    }
  }

  boolean isAlive() {
    return process != null && process.isAlive();
  }

  long pid() {
    return process == null ? -1 : process.pid();
  }

  /** Sends SIGTERM and waits up to ten seconds, then SIGKILL. */
  void stop() {
    if (process == null) {
      return;
    }
    process.destroy();
    waitFor(STOP_GRACE);
    kill();
  }

  /** Sends SIGKILL and waits for the process to be gone. */
  void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    waitFor(STOP_GRACE);
    if (process.isAlive()) {
      throw new IllegalStateException(name + " (pid " + process.pid() + ") did not die");
    }
  }

  /** Sends a signal by name (for example {@code QUIT} or {@code HUP}). */
  void signal(String signal) {
    if (!isAlive()) {
      return;
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
      if (!kill.waitFor(5, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  boolean waitFor(Duration max) {
    try {
      return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** The last lines of the log, for failure messages. */
  String tail(int lines) {
    try {
      if (!Files.exists(log)) {
        return "(no log)";
      }
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  Path log() {
    return log;
  }
}
