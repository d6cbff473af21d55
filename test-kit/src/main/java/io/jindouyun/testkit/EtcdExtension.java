package io.jindouyun.testkit;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd server process on free loopback ports, in a temporary data folder.
 *
 * <p>Register it in a static field to share one server across a test class, or in an instance field
 * for one server per test:
 *
 * <pre>{@code
 * @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();
 * }</pre>
 *
 * The server runs with short raft timings (healthy in well under a second). {@link
 * #EtcdExtension(EtcdTls, String)} serves clients over TLS only, with client certificates required
 * ({@code --client-cert-auth}); its {@link #client()} presents the given client's certificate (and
 * so acts as that user, by the certificate's CN, once auth is on). {@link #stop()} and {@link
 * #start()} restart it on the same ports and data, {@link #kill()} kills it. The binary comes from
 * the Debian package {@code etcd-server}; when it is missing the test fails and says so.
 *
 * <p>Not thread-safe: call it from the test thread.
 */
public final class EtcdExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(20);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final EtcdTls tls;
  private final String tlsClient;
  private int clientPort;
  private int peerPort;
  private int metricsPort;
  private Path dir;
  private ManagedProcess process;
  private Client client;
  private boolean perClass;

  /** A plain etcd. */
  public EtcdExtension() {
    this(null, null);
  }

  /**
   * An etcd that serves clients over TLS with {@code tls}'s server certificate and requires client
   * certificates; {@link #client()} uses the certificate of {@code client}.
   */
  public EtcdExtension(EtcdTls tls, String client) {
    this.tls = tls;
    this.tlsClient = client;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    boot();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    shutdown();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      boot();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      shutdown();
    }
  }

  private void boot() {
    Path binary = Binaries.require("etcd", "etcd-server");
    clientPort = FreePorts.next();
    peerPort = FreePorts.next();
    metricsPort = FreePorts.next();
    dir = TempDirs.create("etcd");
    String clientUrl = endpoint();
    String peerUrl = "http://127.0.0.1:" + peerPort;
    List<String> command =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--name",
                "n1",
                "--data-dir",
                dir.resolve("data").toString(),
                "--listen-client-urls",
                clientUrl,
                "--advertise-client-urls",
                clientUrl,
                "--listen-peer-urls",
                peerUrl,
                "--initial-advertise-peer-urls",
                peerUrl,
                "--initial-cluster",
                "n1=" + peerUrl,
                "--heartbeat-interval",
                "10",
                "--election-timeout",
                "100",
                "--log-level",
                "warn",
                // health over plain HTTP, whatever the client URLs
                "--listen-metrics-urls",
                "http://127.0.0.1:" + metricsPort));
    if (tls != null) {
      command.addAll(
          List.of(
              "--cert-file",
              tls.serverCert().toString(),
              "--key-file",
              tls.serverKey().toString(),
              "--trusted-ca-file",
              tls.ca().toString(),
              "--client-cert-auth"));
    }
    process = new ManagedProcess("etcd", command, dir.resolve("etcd.log"));
    start();
  }

  private void shutdown() {
    if (client != null) {
      client.close();
      client = null;
    }
    if (process != null) {
      process.stop();
      process = null;
    }
    TempDirs.delete(dir);
  }

  /** Starts the server (again, on the same ports and data) and waits until it is healthy. */
  public void start() {
    process.start();
    Waits.until(
        this::healthy,
        START_TIMEOUT,
        () -> "etcd on " + endpoint() + " not healthy; log:\n" + process.tail(30));
  }

  /** Stops the server gracefully (SIGTERM); {@link #start()} brings it back. */
  public void stop() {
    process.stop();
  }

  /** Kills the server (SIGKILL); {@link #start()} brings it back. */
  public void kill() {
    process.kill();
  }

  /** Whether the server process is running. */
  public boolean isRunning() {
    return process != null && process.isAlive();
  }

  /** The client URL, {@code http://127.0.0.1:<port>} ({@code https://} with TLS). */
  public String endpoint() {
    return (tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort;
  }

  /** The client port. */
  public int port() {
    return clientPort;
  }

  /** A client shared by the test; closed by the extension, not by the test. */
  public synchronized Client client() {
    if (client == null) {
      if (tls == null) {
        client = Client.builder().endpoints(endpoint()).build();
      } else {
        try {
          client =
              Client.builder()
                  .endpoints(endpoint())
                  .sslContext(
                      ssl ->
                          ssl.trustManager(tls.ca().toFile())
                              .keyManager(
                                  tls.clientCert(tlsClient).toFile(),
                                  tls.clientKey(tlsClient).toFile()))
                  .build();
        } catch (javax.net.ssl.SSLException e) {
          throw new IllegalStateException("the test certificates are unusable", e);
        }
      }
    }
    return client;
  }

  /**
   * The key-values stored at exactly {@code key} (none or one), read with {@link #client()}; waits
   * at most 5 s.
   */
  public List<KeyValue> read(String key)
      throws InterruptedException, ExecutionException, TimeoutException {
    return client()
        .getKVClient()
        .get(ByteSequence.from(key, StandardCharsets.UTF_8))
        .get(5, TimeUnit.SECONDS)
        .getKvs();
  }

  private boolean healthy() {
    if (!process.isAlive()) {
      throw new IllegalStateException("etcd exited; log:\n" + process.tail(30));
    }
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + "/health"))
                  .timeout(Duration.ofMillis(500))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return response.statusCode() == 200 && response.body().contains("true");
    } catch (java.io.IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
