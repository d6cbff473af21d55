package io.jindouyun.exporter;

import io.etcd.jetcd.Client;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.metrics.MetricsGrpcServer;
import io.jindouyun.support.metrics.MetricsProperties;
import io.jindouyun.support.metrics.ProcessProbe;
import io.jindouyun.support.metrics.SnapshotSource;
import io.jindouyun.support.registration.Registrar;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.core.env.StandardEnvironment;

/**
 * A backend as the exporter sees it, without the rest of a gateway: the support library's real gRPC
 * metrics server fed by a {@link SimpleMeterRegistry} whose gauges the test moves, and the support
 * library's real {@link Registrar} on its own etcd client and lease.
 */
final class FakeBackend implements AutoCloseable {

  final String service;
  final String id;
  final AtomicLong activeStreams = new AtomicLong();
  final AtomicLong inFlight = new AtomicLong();
  final AtomicLong handshakesInFlight = new AtomicLong();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MetricsGrpcServer server;
  private final Client client;
  private final Registrar registrar;

  FakeBackend(String etcdEndpoint, String service, String id, Duration ttl) {
    this.service = service;
    this.id = id;
    Gauge.builder("jdy.streams.active", activeStreams, AtomicLong::get).register(registry);
    Gauge.builder("jdy.requests.active", inFlight, AtomicLong::get).register(registry);
    Gauge.builder("jdy.handshakes.active", handshakesInFlight, AtomicLong::get).register(registry);
    server =
        new MetricsGrpcServer(
            new MetricsProperties(
                true,
                0,
                "127.0.0.1",
                Duration.ofSeconds(1),
                Duration.ofMillis(50),
                Duration.ofSeconds(60),
                16,
                Duration.ofSeconds(1)),
            new SnapshotSource(registry, new ProcessProbe(), () -> service, () -> id),
            new StandardEnvironment());
    server.start();
    client = Client.builder().endpoints(etcdEndpoint).build();
    InstanceRecord record =
        new InstanceRecord(
            id, service, "127.0.0.1", 0, server.port(), "", "test", Instant.now().toString());
    String json = record.toJson();
    registrar =
        new Registrar(
            client,
            EtcdKeys.DEFAULT.instanceKey(service, id),
            () -> json,
            ttl,
            Duration.ofSeconds(2),
            new Backoff(Duration.ofMillis(50), Duration.ofMillis(500)));
    registrar.start();
  }

  int grpcPort() {
    return server.port();
  }

  Registrar registrar() {
    return registrar;
  }

  /** Dies without deregistering: its etcd session and its gRPC server just vanish. */
  void kill() {
    client.close();
    server.stop();
  }

  @Override
  public void close() {
    registrar.deregister(Duration.ofSeconds(2)).join();
    client.close();
    server.stop();
  }
}
