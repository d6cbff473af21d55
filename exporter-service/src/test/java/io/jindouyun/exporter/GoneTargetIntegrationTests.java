package io.jindouyun.exporter;

import static io.jindouyun.exporter.RunningExporter.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.testkit.EtcdExtension;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A target that leaves loses its metrics key as soon as the exporter sees its instance key go, not
 * at the next write tick. The exporter here writes every {@link #INTERVAL}, long enough that the
 * next tick cannot be what deletes the key.
 */
@Timeout(60)
class GoneTargetIntegrationTests {

  @RegisterExtension final EtcdExtension etcd = new EtcdExtension();

  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final Duration BACKEND_TTL = Duration.ofSeconds(2);
  private static final String INSTANCE_KEY = EtcdKeys.DEFAULT.instanceKey("llm-consumer", "c-1");
  private static final String METRICS_KEY = EtcdKeys.DEFAULT.metricsKey("llm-consumer", "c-1");

  @Test
  void theMetricsKeyOfAKilledBackendIsDeletedBeforeTheNextTick() throws Exception {
    try (RunningExporter exporter =
        new RunningExporter(
            etcd.endpoint(),
            "exporter-a",
            "jindouyun.exporter.interval=" + INTERVAL.toMillis() + "ms")) {
      FakeBackend doomed = new FakeBackend(etcd.endpoint(), "llm-consumer", "c-1", BACKEND_TTL);
      // written by a tick; the next one is due a whole interval later
      await()
          .atMost(INTERVAL.multipliedBy(3))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> read(etcd.client(), METRICS_KEY) != null);
      long writtenAt = System.nanoTime();

      doomed.kill();
      await()
          .atMost(BACKEND_TTL.plusSeconds(2))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> read(etcd.client(), INSTANCE_KEY) == null);
      await()
          .atMost(Duration.ofSeconds(1))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> read(etcd.client(), METRICS_KEY) == null);

      assertThat(Duration.ofNanos(System.nanoTime() - writtenAt))
          .as("deleted before the tick that follows the one that wrote it")
          .isLessThan(INTERVAL.minusMillis(500));
    }
  }
}
