package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A service of this repository run from its {@code -exec.jar} as its own JVM, output to a log file;
 * {@link #close()} stops it (SIGTERM, bounded wait, then SIGKILL), {@link #kill()} SIGKILLs it at
 * once (no clean shutdown). Not thread-safe: one test thread drives it.
 */
public final class JavaService implements AutoCloseable {

  private final String name;
  private final ManagedProcess process;

  private JavaService(String name, ManagedProcess process) {
    this.name = name;
    this.process = process;
  }

  /** The repository root: the nearest folder at or above the working directory holding jdy. */
  public static Path repoRoot() {
    Path start = Path.of("").toAbsolutePath();
    for (Path dir = start; dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("jdy"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no folder holding 'jdy' at or above " + start);
  }

  /** The exec jar of {@code module}; fails the test with how to build it when missing. */
  public static Path execJar(String module) {
    Path target = repoRoot().resolve(module).resolve("target");
    try (var files = Files.list(target)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith("-exec.jar"))
          .findFirst()
          .orElseThrow();
    } catch (IOException | NoSuchElementException e) {
      throw new IllegalStateException(
          "no "
              + module
              + "/target/*-exec.jar: build it first (mvn -o -pl "
              + module
              + " install)");
    }
  }

  /**
   * Starts {@code module}'s exec jar with a small heap.
   *
   * @param name a name for logs and failure messages
   * @param env environment variables added to this JVM's
   * @param args program arguments (e.g. {@code --server.port=8081})
   */
  public static JavaService start(
      String name, String module, Map<String, String> env, List<String> args) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"));
    command.addAll(List.of("-jar", execJar(module).toString()));
    command.addAll(args);
    try {
      Path log = Files.createTempFile("jdy-" + name + "-", ".log");
      ManagedProcess process = new ManagedProcess(name, command, log, env);
      process.start();
      return new JavaService(name, process);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a stream-gateway JVM as instance {@code id} on {@code port}, registered in {@code etcd}
   * and reading and writing {@code kafka}, with its gRPC metrics on a free port, in the {@code dev}
   * profile (the tests may sign with the development secret, which a gateway refuses outside it).
   *
   * @param env environment variables added to this JVM's (e.g. the JWT secret)
   * @param extraArgs further program arguments (timeouts, TTLs)
   */
  public static JavaService startGateway(
      String id,
      int port,
      EtcdExtension etcd,
      KafkaExtension kafka,
      Map<String, String> env,
      String... extraArgs) {
    return startGateway(id, port, etcd.endpoint(), kafka.bootstrapServers(), env, extraArgs);
  }

  /**
   * As {@link #startGateway(String, int, EtcdExtension, KafkaExtension, Map, String...)}, with the
   * etcd endpoints and Kafka bootstrap servers as lists (comma-separated), e.g. of a cluster.
   */
  public static JavaService startGateway(
      String id,
      int port,
      String etcdEndpoints,
      String bootstrapServers,
      Map<String, String> env,
      String... extraArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "--server.port=" + port,
                "--spring.profiles.active=dev",
                "--jindouyun.instance.id=" + id,
                "--jindouyun.metrics.grpc-port=" + FreePorts.next(),
                "--jindouyun.etcd.endpoints=" + etcdEndpoints,
                "--spring.kafka.bootstrap-servers=" + bootstrapServers));
    args.addAll(List.of(extraArgs));
    return start(id, "stream-gateway", env, args);
  }

  /** The name given at start. */
  public String name() {
    return name;
  }

  /** Whether the JVM still runs. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** The last lines of the log, for failure messages. */
  public String tail() {
    return name + " log:\n" + process.tail(40);
  }

  /** The JVM's process id, -1 when it never started. */
  public long pid() {
    return process.pid();
  }

  /** Sends the JVM a signal by name (for example {@code STOP}, {@code CONT} or {@code QUIT}). */
  public void signal(String signal) {
    process.signal(signal);
  }

  /** SIGKILLs the JVM (no shutdown hooks run) and waits for it to be gone. */
  public void kill() {
    process.kill();
  }

  /** SIGTERM, a bounded wait, then SIGKILL; the log is deleted. */
  @Override
  public void close() {
    process.stop();
    try {
      Files.deleteIfExists(process.log());
    } catch (IOException ignored) {
      // the log stays
    }
  }
}
