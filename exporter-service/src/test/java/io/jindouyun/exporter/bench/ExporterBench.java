package io.jindouyun.exporter.bench;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.exporter.ExporterApplication;
import io.jindouyun.support.metrics.MetricsGrpcService;
import io.jindouyun.support.metrics.ProcessProbe;
import io.jindouyun.support.metrics.SnapshotSource;
import io.jindouyun.testkit.EtcdExtension;
import io.jindouyun.testkit.FreePorts;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The exporter with N targets at a 1 s interval: CPU, etcd write requests per second (batched vs
 * one request per key) and memory of the exporter process.
 *
 * <p>This JVM runs etcd (test kit) and N in-process backends: the support library's {@link
 * MetricsGrpcService} on its own gRPC server each, sharing one scheduler; their instance keys are
 * put directly under one lease. The exporter runs as its own JVM (the real application, same
 * classpath, {@code -Xmx256m}) so its CPU ({@code /proc/<pid>/stat}) and RSS are its own. Each mode
 * warms up, then measures a window; etcd writes come from the exporter's own counters and from
 * etcd's own {@code etcd_server_proposals_committed_total} (one raft proposal per write request).
 *
 * <p>Run: see BENCHMARKS.md ({@code java -cp ... io.jindouyun.exporter.bench.ExporterBench
 * [targets] [warmupSeconds] [measureSeconds]}).
 */
public final class ExporterBench {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private ExporterBench() {}

  public static void main(String[] args) throws Exception {
    int targets = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 15;
    int measure = args.length > 2 ? Integer.parseInt(args[2]) : 30;
    EtcdExtension etcd = new EtcdExtension();
    etcd.beforeAll(null);
    ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(2);
    scheduler.setRemoveOnCancelPolicy(true);
    List<Server> servers = new ArrayList<>();
    try {
      Client client = etcd.client();
      long lease = client.getLeaseClient().grant(3600).get(10, TimeUnit.SECONDS).getID();
      AtomicLong load = new AtomicLong();
      for (int i = 0; i < targets; i++) {
        String id = "gw-" + i;
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        long base = i;
        Gauge.builder("jdy.streams.active", load, l -> base + l.get() % 50).register(registry);
        MetricsGrpcService service =
            new MetricsGrpcService(
                new SnapshotSource(registry, new ProcessProbe(), () -> "stream-gateway", () -> id),
                scheduler,
                Duration.ofSeconds(1),
                Duration.ofMillis(100),
                Duration.ofSeconds(60),
                4);
        Server server =
            NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(service)
                .build()
                .start();
        servers.add(server);
        String json =
            new InstanceRecord(id, "stream-gateway", "127.0.0.1", 0, server.getPort(), "", "", "")
                .toJson();
        client
            .getKVClient()
            .put(
                ByteSequence.from(EtcdKeys.DEFAULT.instanceKey("stream-gateway", id), UTF_8),
                ByteSequence.from(json, UTF_8),
                PutOption.builder().withLeaseId(lease).build())
            .get(10, TimeUnit.SECONDS);
      }
      var ticker = Executors.newSingleThreadScheduledExecutor();
      ticker.scheduleAtFixedRate(load::incrementAndGet, 1, 1, TimeUnit.SECONDS);
      System.out.printf(
          "machine: %d cpus, java %s; %d targets, interval 1s, warm-up %ds, window %ds%n",
          Runtime.getRuntime().availableProcessors(),
          System.getProperty("java.version"),
          targets,
          warmup,
          measure);
      System.out.println(
          "| mode | exporter CPU (% of one core) | write requests/s sent | keys written/s | etcd proposals/s | exporter RSS MiB | heap used MiB |");
      System.out.println("|---|---|---|---|---|---|---|");
      for (boolean batch : new boolean[] {true, false}) {
        run(etcd.endpoint(), targets, batch, warmup, measure);
      }
      ticker.shutdownNow();
    } finally {
      servers.forEach(Server::shutdownNow);
      scheduler.shutdownNow();
      etcd.afterAll(null);
    }
  }

  private static void run(String endpoint, int targets, boolean batch, int warmup, int measure)
      throws Exception {
    int port = FreePorts.next();
    Path log = Files.createTempFile("exporter-bench", ".log");
    Process exporter =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                ExporterApplication.class.getName(),
                "--server.port=" + port,
                "--jindouyun.etcd.endpoints=" + endpoint,
                "--jindouyun.instance.id=bench-exporter",
                "--jindouyun.exporter.interval=1s",
                "--jindouyun.exporter.batch-writes=" + batch,
                "--logging.level.root=WARN")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (metric(port, "jdy_exporter_targets") < targets) {
        if (System.nanoTime() > deadline || !exporter.isAlive()) {
          throw new IllegalStateException("exporter did not reach " + targets + " targets; " + log);
        }
        TimeUnit.MILLISECONDS.sleep(500);
      }
      TimeUnit.SECONDS.sleep(warmup);
      long pid = exporter.pid();
      long cpu0 = cpuTicks(pid);
      double req0 = metric(port, "jdy_exporter_etcd_requests_total");
      double ops0 = metric(port, "jdy_exporter_etcd_operations_total");
      double prop0 = etcdProposals(endpoint);
      long t0 = System.nanoTime();
      TimeUnit.SECONDS.sleep(measure);
      long cpu1 = cpuTicks(pid);
      double req1 = metric(port, "jdy_exporter_etcd_requests_total");
      double ops1 = metric(port, "jdy_exporter_etcd_operations_total");
      double prop1 = etcdProposals(endpoint);
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpuPercent = (cpu1 - cpu0) / 100.0 / seconds * 100; // USER_HZ = 100
      System.out.printf(
          "| %s | %.1f | %.1f | %.1f | %.1f | %.0f | %.0f |%n",
          batch ? "batched (txn ≤ 128 ops)" : "one request per key",
          cpuPercent,
          (req1 - req0) / seconds,
          (ops1 - ops0) / seconds,
          (prop1 - prop0) / seconds,
          rssKib(pid) / 1024.0,
          heapUsed(port) / 1024 / 1024);
    } finally {
      exporter.destroy();
      if (!exporter.waitFor(15, TimeUnit.SECONDS)) {
        exporter.destroyForcibly();
      }
    }
  }

  /** Raft proposals etcd committed so far: one per write request (put, delete, txn, lease). */
  private static double etcdProposals(String endpoint) throws IOException, InterruptedException {
    String body =
        HTTP.send(
                HttpRequest.newBuilder(URI.create(endpoint + "/metrics"))
                    .timeout(Duration.ofSeconds(5))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    for (String line : body.split("\n")) {
      if (line.startsWith("etcd_server_proposals_committed_total ")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return -1;
  }

  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
  }

  private static long rssKib(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  private static double heapUsed(int port) {
    double sum = 0;
    for (String line : scrape(port).split("\n")) {
      if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private static double metric(int port, String name) {
    return metricSum(port, name + " ", name + "{");
  }

  private static double metricSum(int port, String... prefixes) {
    double sum = 0;
    for (String line : scrape(port).split("\n")) {
      for (String prefix : prefixes) {
        if (line.startsWith(prefix)) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
    }
    return sum;
  }

  private static String scrape(int port) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      return "";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "";
    }
  }
}
