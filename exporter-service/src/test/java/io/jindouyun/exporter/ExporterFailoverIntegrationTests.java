package io.jindouyun.exporter;

import static io.jindouyun.exporter.RunningExporter.INTERVAL;
import static io.jindouyun.exporter.RunningExporter.LEASE_TTL;
import static io.jindouyun.exporter.RunningExporter.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.KeyValue;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.testkit.EtcdExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Exporter death and hand-over. The exporters run in this JVM, so "killed" means its etcd session
 * dies the way a crash would end it (the client closes: no resign, no revoke, keep-alives stop);
 * the backends are {@link FakeBackend}s.
 */
@Timeout(90)
@SuppressWarnings("try") // backends are opened for their side effects and closed at the end
class ExporterFailoverIntegrationTests {

  @RegisterExtension final EtcdExtension etcd = new EtcdExtension();

  private static final String INSTANCE_KEY = EtcdKeys.DEFAULT.instanceKey("stream-gateway", "gw-1");
  private static final String METRICS_KEY = EtcdKeys.DEFAULT.metricsKey("stream-gateway", "gw-1");

  @Test
  void aKilledExporterLeavesTheInstanceKeysAndItsMetricsKeysExpire() throws Exception {
    try (FakeBackend backend =
            new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-1", Duration.ofSeconds(2));
        RunningExporter exporter = new RunningExporter(etcd.endpoint(), "exporter-a")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> read(etcd.client(), METRICS_KEY) != null);

      exporter.killEtcdSession();
      long killedAt = System.nanoTime();

      await()
          .atMost(LEASE_TTL.plusSeconds(1))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> read(etcd.client(), METRICS_KEY) == null);
      assertThat(Duration.ofNanos(System.nanoTime() - killedAt))
          .isLessThan(LEASE_TTL.plusSeconds(1));
      assertThat(read(etcd.client(), INSTANCE_KEY)).isNotNull();
    }
  }

  @Test
  void theStandbyWritesWithinLeaseTtlPlusTwoIntervalsOfTheLeadersDeath() throws Exception {
    try (FakeBackend backend =
            new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-1", Duration.ofSeconds(2));
        RunningExporter leader = new RunningExporter(etcd.endpoint(), "exporter-a")) {
      await().atMost(Duration.ofSeconds(10)).until(leader::leading);
      try (RunningExporter standby = new RunningExporter(etcd.endpoint(), "exporter-b")) {
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> read(etcd.client(), METRICS_KEY) != null);
        // the standby pulls too (its Prometheus endpoint has the figures) but does not write
        await()
            .atMost(Duration.ofSeconds(5))
            .until(() -> standby.scrape().contains("instance=\"gw-1\""));
        assertThat(standby.leading()).isFalse();
        long leaderLease = read(etcd.client(), METRICS_KEY).getLease();

        leader.killEtcdSession();
        long killedAt = System.nanoTime();

        await()
            .atMost(LEASE_TTL.plus(INTERVAL.multipliedBy(2)))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () -> {
                  KeyValue kv = read(etcd.client(), METRICS_KEY);
                  return kv != null && kv.getLease() != leaderLease;
                });
        assertThat(Duration.ofNanos(System.nanoTime() - killedAt))
            .isLessThan(LEASE_TTL.plus(INTERVAL.multipliedBy(2)));
        assertThat(standby.leading()).isTrue();
        assertThat(read(etcd.client(), INSTANCE_KEY)).isNotNull();
      }
    }
  }

  @Test
  void afterAnEtcdRestartTheExporterStillDiscoversAndWrites() throws Exception {
    try (FakeBackend first =
            new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-1", Duration.ofSeconds(2));
        RunningExporter exporter = new RunningExporter(etcd.endpoint(), "exporter-a")) {
      await().atMost(Duration.ofSeconds(10)).until(() -> read(etcd.client(), METRICS_KEY) != null);

      etcd.kill();
      etcd.start();

      try (FakeBackend second =
          new FakeBackend(etcd.endpoint(), "stream-gateway", "gw-2", Duration.ofSeconds(2))) {
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () ->
                    read(etcd.client(), EtcdKeys.DEFAULT.metricsKey("stream-gateway", "gw-2"))
                            != null
                        && read(etcd.client(), METRICS_KEY) != null);
        second.activeStreams.set(9);
        await()
            .atMost(INTERVAL.multipliedBy(4))
            .until(
                () ->
                    RunningExporter.metrics(etcd.client(), "stream-gateway", "gw-2")
                            .get("activeStreams")
                            .asLong()
                        == 9);
      }
    }
  }
}
