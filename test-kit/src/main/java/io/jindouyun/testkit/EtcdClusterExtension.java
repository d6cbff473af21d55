package io.jindouyun.testkit;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.maintenance.StatusResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Three etcd members forming one cluster on free loopback ports, each with its data in a temporary
 * folder, with etcd's default raft timings (heartbeat 100 ms, election timeout 1 s) as {@code ./jdy
 * up --ha} runs them. {@link #leader()} asks each member's maintenance status API which member
 * leads; {@link #kill(int)} SIGKILLs a member, {@link #start(int)} starts it again on its ports and
 * data (it rejoins). The binary comes from the Debian package {@code etcd-server}.
 *
 * <pre>{@code
 * @RegisterExtension static final EtcdClusterExtension etcd = new EtcdClusterExtension();
 * }</pre>
 *
 * <p>Meant for a static field: one cluster per test class. Not thread-safe: call it from the test
 * thread.
 */
public final class EtcdClusterExtension implements BeforeAllCallback, AfterAllCallback {

  /** Members in the cluster. */
  public static final int MEMBERS = 3;

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
  private final int[] clientPorts = new int[MEMBERS];
  private final int[] peerPorts = new int[MEMBERS];
  private final ManagedProcess[] processes = new ManagedProcess[MEMBERS];
  private Path dir;
  private Client client;

  @Override
  public void beforeAll(ExtensionContext context) {
    Path binary = Binaries.require("etcd", "etcd-server");
    dir = TempDirs.create("etcd-cluster");
    for (int i = 0; i < MEMBERS; i++) {
      clientPorts[i] = FreePorts.next();
      peerPorts[i] = FreePorts.next();
    }
    String cluster =
        IntStream.rangeClosed(1, MEMBERS)
            .mapToObj(m -> "m" + m + "=" + peerUrl(m))
            .collect(Collectors.joining(","));
    for (int m = 1; m <= MEMBERS; m++) {
      processes[m - 1] =
          new ManagedProcess(
              "etcd-" + m,
              List.of(
                  binary.toString(),
                  "--name",
                  "m" + m,
                  "--data-dir",
                  dir.resolve("data-" + m).toString(),
                  "--listen-client-urls",
                  endpoint(m),
                  "--advertise-client-urls",
                  endpoint(m),
                  "--listen-peer-urls",
                  peerUrl(m),
                  "--initial-advertise-peer-urls",
                  peerUrl(m),
                  "--initial-cluster",
                  cluster,
                  "--initial-cluster-token",
                  "jdy-test",
                  "--initial-cluster-state",
                  "new",
                  "--log-level",
                  "warn"),
              dir.resolve("etcd-" + m + ".log"));
      processes[m - 1].start();
    }
    for (int m = 1; m <= MEMBERS; m++) {
      awaitHealthy(m);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (client != null) {
      client.close();
      client = null;
    }
    for (ManagedProcess process : processes) {
      if (process != null) {
        process.stop();
      }
    }
    TempDirs.delete(dir);
  }

  private String peerUrl(int member) {
    return "http://127.0.0.1:" + peerPorts[member - 1];
  }

  /** The client URL of member {@code member} (1-3), {@code http://127.0.0.1:<port>}. */
  public String endpoint(int member) {
    return "http://127.0.0.1:" + clientPorts[member - 1];
  }

  /** The three client URLs, comma-separated (as {@code jindouyun.etcd.endpoints} takes them). */
  public String endpoints() {
    return IntStream.rangeClosed(1, MEMBERS)
        .mapToObj(this::endpoint)
        .collect(Collectors.joining(","));
  }

  /** A client of all three members, shared by the test; closed by the extension. */
  public synchronized Client client() {
    if (client == null) {
      client = Client.builder().endpoints(endpoints().split(",")).build();
    }
    return client;
  }

  /**
   * The member (1-3) that leads, as the maintenance status API of the running members says, or 0
   * while no running member names a running leader.
   */
  public int leader() {
    StatusResponse[] answers = new StatusResponse[MEMBERS];
    for (int m = 1; m <= MEMBERS; m++) {
      if (!processes[m - 1].isAlive()) {
        continue;
      }
      try {
        answers[m - 1] =
            client().getMaintenanceClient().statusMember(endpoint(m)).get(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 0;
      } catch (Exception e) {
        // not answering now: another member may
      }
    }
    for (StatusResponse answer : answers) {
      if (answer == null || answer.getLeader() == 0) {
        continue;
      }
      for (int m = 1; m <= MEMBERS; m++) {
        if (answers[m - 1] != null
            && answers[m - 1].getHeader().getMemberId() == answer.getLeader()) {
          return m;
        }
      }
    }
    return 0;
  }

  /** SIGKILLs member {@code member} (1-3). */
  public void kill(int member) {
    processes[member - 1].kill();
  }

  /** Starts member {@code member} (1-3) again on its ports and data; waits until it is healthy. */
  public void start(int member) {
    processes[member - 1].start();
    awaitHealthy(member);
  }

  /** Whether member {@code member} (1-3) runs. */
  public boolean isRunning(int member) {
    return processes[member - 1].isAlive();
  }

  private void awaitHealthy(int member) {
    Waits.until(
        () -> healthy(member),
        START_TIMEOUT,
        () ->
            "etcd member "
                + member
                + " on "
                + endpoint(member)
                + " not healthy; logs:\n"
                + Arrays.stream(processes)
                    .map(p -> p.log().getFileName() + ":\n" + p.tail(10))
                    .collect(Collectors.joining("\n")));
  }

  /** Whether member {@code member} answers /health with true (it sees a leader). */
  public boolean healthy(int member) {
    if (!processes[member - 1].isAlive()) {
      throw new IllegalStateException(
          "etcd member " + member + " exited; log:\n" + processes[member - 1].tail(30));
    }
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(endpoint(member) + "/health"))
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
