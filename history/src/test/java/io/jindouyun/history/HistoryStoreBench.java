package io.jindouyun.history;

import io.jindouyun.testkit.FreePorts;
import io.jindouyun.testkit.PostgresExtension;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.h2.tools.Server;
import reactor.core.publisher.Flux;

/**
 * The history write cost per answer: stores N turns (a 200-character prompt, a 2,000-character
 * answer, in conversations of 10 turns) one after the other, then N more with 8 at a time, against
 * H2 (its TCP server in this JVM, as {@code ./jdy up} runs it) and PostgreSQL (a fresh cluster from
 * the test kit, which runs it without fsync: a lower bound for a durable server). Prints per-store
 * latency percentiles, throughput and this process's CPU per stored turn (for H2 that includes the
 * database server; for PostgreSQL it is the client only). Not a test: run it by hand (BENCHMARKS.md
 * has the command).
 */
public final class HistoryStoreBench {

  private HistoryStoreBench() {}

  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    Server h2 =
        Server.createTcpServer(
                "-tcpPort",
                Integer.toString(FreePorts.next()),
                "-baseDir",
                Files.createTempDirectory("jdy-bench-h2-").toString(),
                "-ifNotExists")
            .start();
    try {
      run("H2 (TCP server)", "r2dbc:h2:tcp://127.0.0.1:" + h2.getPort() + "/history", n);
    } finally {
      h2.stop();
    }
    PostgresExtension postgres = new PostgresExtension();
    postgres.beforeAll(null);
    try {
      run("PostgreSQL 15", postgres.r2dbcUrl(), n);
    } finally {
      postgres.afterAll(null);
    }
  }

  private static void run(String name, String url, int n) {
    HistoryProperties props =
        new HistoryProperties(url, 1000, 65536, 100, 20, 16000, Duration.ofSeconds(10), 8);
    try (HistoryDatabase db = HistoryDatabase.open(props)) {
      HistoryStore store = new HistoryStore(db, props);
      String user = "bench-" + UUID.randomUUID();
      // warm-up: the JIT, the pool, the statement caches
      storeSequentially(store, user, n / 4);
      long cpu0 = cpuNanos();
      long[] latencies = storeSequentially(store, user, n);
      long cpu1 = cpuNanos();
      long wall0 = System.nanoTime();
      List<Turn> batch = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        batch.add(turn(user, i));
      }
      Flux.fromIterable(batch).flatMap(store::store, 8).then().block(Duration.ofMinutes(5));
      double concurrentSeconds = (System.nanoTime() - wall0) / 1e9;
      long cpu2 = cpuNanos();
      Arrays.sort(latencies);
      System.out.printf(
          "%s, N=%d: sequential p50 %.2f ms, p99 %.2f ms, max %.2f ms, CPU %.0f us/turn;"
              + " 8 at a time %.0f turns/s, CPU %.0f us/turn%n",
          name,
          n,
          latencies[n / 2] / 1e6,
          latencies[(int) (n * 0.99)] / 1e6,
          latencies[n - 1] / 1e6,
          (cpu1 - cpu0) / 1e3 / n,
          n / concurrentSeconds,
          (cpu2 - cpu1) / 1e3 / n);
    }
  }

  private static long[] storeSequentially(HistoryStore store, String user, int n) {
    long[] latencies = new long[n];
    for (int i = 0; i < n; i++) {
      Turn turn = turn(user, i);
      long start = System.nanoTime();
      store.store(turn).block(Duration.ofSeconds(10));
      latencies[i] = System.nanoTime() - start;
    }
    return latencies;
  }

  private static Turn turn(String user, int i) {
    return new Turn(
        "gw-1~" + UUID.randomUUID(),
        i,
        user + "-c" + (i / 10),
        user,
        "jdy-dev-1",
        List.of(new Message("user", "q".repeat(200))),
        "a".repeat(2000),
        null,
        "stop",
        false,
        new Turn.Usage(50, 500, 550),
        1_000,
        20L,
        3_000,
        false);
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
