package io.jindouyun.support.health;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health {@code kafka}: UP while the cluster describes itself within the timeout (with the number
 * of brokers), DOWN otherwise (with the reason). One admin client, made from the service's own
 * Kafka admin settings, is kept open; an answer is reused for {@code cacheFor}.
 *
 * <p>Concurrency: {@link #health} may run on several threads at once; the cached answer is one
 * volatile reference (two racing checks may both ask the cluster).
 */
final class KafkaHealthIndicator implements HealthIndicator, AutoCloseable {

  private record Answer(Health health, long atNanos) {}

  private final AdminClient admin;
  private final KafkaHealthProperties properties;
  private volatile Answer last;

  KafkaHealthIndicator(Map<String, Object> adminConfig, KafkaHealthProperties properties) {
    Map<String, Object> config = new HashMap<>(adminConfig);
    int timeoutMs = (int) Math.max(1, properties.timeout().toMillis());
    config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
    config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
    config.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "jdy-health");
    this.admin = AdminClient.create(config);
    this.properties = properties;
  }

  @Override
  public Health health() {
    Answer answer = last;
    long now = System.nanoTime();
    if (answer != null && now - answer.atNanos() < properties.cacheFor().toNanos()) {
      return answer.health();
    }
    Health health = check();
    last = new Answer(health, System.nanoTime());
    return health;
  }

  private Health check() {
    long timeoutMs = properties.timeout().toMillis();
    try {
      DescribeClusterResult cluster =
          admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMs));
      int brokers = cluster.nodes().get(timeoutMs, TimeUnit.MILLISECONDS).size();
      return Health.up().withDetail("brokers", brokers).build();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Health.down().withDetail("error", "interrupted").build();
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      return Health.down().withDetail("error", cause.getClass().getSimpleName()).build();
    }
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(1));
  }
}
