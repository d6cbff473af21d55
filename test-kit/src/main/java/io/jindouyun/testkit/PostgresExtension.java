package io.jindouyun.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server (the Debian package {@code postgresql}) in a temporary folder, on a free
 * loopback port, one per test class:
 *
 * <pre>{@code
 * @RegisterExtension static final PostgresExtension postgres = new PostgresExtension();
 * }</pre>
 *
 * {@code initdb} makes a fresh cluster (trust authentication, superuser {@value #USER}); the server
 * listens on 127.0.0.1 and keeps its unix socket in the same folder, and runs without fsync (a test
 * database need not survive a power cut). PostgreSQL refuses to run as root, so when the tests run
 * as root the cluster belongs to the package's {@code postgres} user and both programs run as that
 * user ({@code setpriv}). When the binaries are missing the test fails and says which package to
 * install.
 *
 * <p>Not thread-safe: call it from the test thread.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback {

  /** The superuser; trust authentication, no password. */
  public static final String USER = "jindouyun";

  /** The database the URLs name (made by {@code initdb}). */
  public static final String DATABASE = "postgres";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Path LIB = Path.of("/usr/lib/postgresql");
  private static final String SERVICE_USER = "postgres";

  private int port;
  private Path dir;
  private ManagedProcess process;

  @Override
  public void beforeAll(ExtensionContext context) {
    Path bin = binaries();
    port = FreePorts.next();
    dir = TempDirs.create("postgres");
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      handTo(dir, SERVICE_USER);
    }
    Path data = dir.resolve("data");
    run(
        as(
            root,
            bin.resolve("initdb").toString(),
            "-D",
            data.toString(),
            "-U",
            USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync"),
        dir.resolve("initdb.log"));
    process =
        new ManagedProcess(
            "postgres",
            as(
                root,
                bin.resolve("postgres").toString(),
                "-D",
                data.toString(),
                "-p",
                Integer.toString(port),
                "-k",
                dir.toString(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "max_connections=50"),
            dir.resolve("postgres.log"));
    process.start();
    Path isReady = bin.resolve("pg_isready");
    Waits.until(
        () -> ready(isReady),
        START_TIMEOUT,
        () -> "PostgreSQL on port " + port + " not ready; log:\n" + process.tail(30));
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (process != null) {
      process.signal("INT"); // fast shutdown: open connections do not hold it up
      process.stop();
      process = null;
    }
    TempDirs.delete(dir);
  }

  /** The R2DBC URL of the database. */
  public String r2dbcUrl() {
    return "r2dbc:postgresql://" + USER + "@127.0.0.1:" + port + "/" + DATABASE;
  }

  /** The JDBC URL of the database. */
  public String jdbcUrl() {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE + "?user=" + USER;
  }

  /** The port. */
  public int port() {
    return port;
  }

  /** The folder of the newest PostgreSQL under /usr/lib/postgresql (Debian's layout). */
  static Path binaries() {
    if (Files.isDirectory(LIB)) {
      try (Stream<Path> versions = Files.list(LIB)) {
        Path bin =
            versions
                .map(v -> v.resolve("bin"))
                .filter(b -> Files.isExecutable(b.resolve("initdb")))
                .max(Comparator.comparing(b -> versionOf(b.getParent())))
                .orElse(null);
        if (bin != null) {
          return bin;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException(
        "PostgreSQL is missing: install the Debian package postgresql"
            + " (apt-get install --no-install-recommends postgresql)");
  }

  private static int versionOf(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static List<String> as(boolean root, String... command) {
    List<String> full = new ArrayList<>();
    if (root) {
      // setpriv execs the program itself: the pid we hold is the server's, and signals reach it
      full.addAll(
          List.of(
              "setpriv",
              "--reuid=" + SERVICE_USER,
              "--regid=" + SERVICE_USER,
              "--init-groups",
              "--"));
    }
    full.addAll(List.of(command));
    return full;
  }

  private static void handTo(Path dir, String userName) {
    try {
      UserPrincipalLookupService lookup = dir.getFileSystem().getUserPrincipalLookupService();
      UserPrincipal user = lookup.lookupPrincipalByName(userName);
      GroupPrincipal group = lookup.lookupPrincipalByGroupName(userName);
      Files.setOwner(dir, user);
      Files.getFileAttributeView(dir, java.nio.file.attribute.PosixFileAttributeView.class)
          .setGroup(group);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot hand " + dir + " to the user " + userName + " (made by the postgresql package)",
          e);
    }
  }

  private static void run(List<String> command, Path log) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(command.get(0) + " did not finish in 60 s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            String.join(" ", command) + " failed:\n" + Files.readString(log));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private boolean ready(Path isReady) {
    if (!process.isAlive()) {
      throw new IllegalStateException("postgres exited; log:\n" + process.tail(30));
    }
    try {
      Process p =
          new ProcessBuilder(
                  isReady.toString(), "-q", "-h", "127.0.0.1", "-p", Integer.toString(port))
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
