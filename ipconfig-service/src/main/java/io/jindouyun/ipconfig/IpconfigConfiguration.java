package io.jindouyun.ipconfig;

import io.etcd.jetcd.Client;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.ipconfig.config.IpconfigProperties;
import io.jindouyun.ipconfig.config.RankingConfig;
import io.jindouyun.ipconfig.config.RankingConfigLoader;
import io.jindouyun.ipconfig.ranking.BestListPublisher;
import io.jindouyun.ipconfig.ranking.BestListRefresher;
import io.jindouyun.ipconfig.ranking.OverrideParser;
import io.jindouyun.ipconfig.ranking.Ranker;
import io.jindouyun.ipconfig.ranking.RankingMetrics;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.watch.EtcdClientFactory;
import io.jindouyun.ipconfig.watch.EtcdWatcher;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;
import tools.jackson.databind.json.JsonMapper;

/** Wires the ranking core: config file, state, publisher, recompute loop and etcd watcher. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(IpconfigProperties.class)
class IpconfigConfiguration {

  @Bean
  RankingConfig rankingConfig(IpconfigProperties properties, ResourceLoader resources)
      throws IOException {
    String location = properties.configFile();
    if (!location.startsWith("classpath:") && !location.startsWith("file:")) {
      location = "file:" + location;
    }
    Resource resource = resources.getResource(location);
    if (!resource.exists()) {
      throw new IllegalStateException(
          "ranking config " + location + " not found (setting jindouyun.ipconfig.config-file)");
    }
    try (InputStream in = resource.getInputStream()) {
      return new RankingConfigLoader()
          .parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), location);
    }
  }

  @Bean
  BestListPublisher bestListPublisher(IpconfigProperties properties) {
    return new BestListPublisher(Clock.systemUTC(), properties.longPoll().maxWaiters());
  }

  /**
   * Health {@code bestList} (part of readiness): DOWN until the first lists ranked on etcd's state
   * are published, UP from then on, also while etcd is unreachable (the last lists are served,
   * marked stale; detail {@code etcdConnected}).
   */
  @Bean
  HealthIndicator bestListHealthIndicator(BestListPublisher publisher, EtcdWatcher watcher) {
    return () ->
        (publisher.ranked() ? Health.up() : Health.down())
            .withDetail("version", publisher.current().version())
            .withDetail("etcdConnected", !watcher.isStale())
            .build();
  }

  @Bean
  RankingMetrics rankingMetrics(MeterRegistry registry, BestListPublisher publisher) {
    return new RankingMetrics(registry, publisher);
  }

  @Bean(destroyMethod = "close")
  BestListRefresher bestListRefresher(
      BestListPublisher publisher, IpconfigProperties properties, RankingMetrics metrics) {
    return new BestListRefresher(
        publisher, properties.recompute().coalesce(), properties.recompute().interval(), metrics);
  }

  @Bean
  RankingState rankingState(
      RankingConfig config, IpconfigProperties properties, BestListRefresher refresher) {
    return new RankingState(
        config.services(),
        new Ranker(new Scorer(config.policy())),
        properties.maxInstancesPerService(),
        () -> System.nanoTime() / 1_000_000,
        refresher::requestRefresh);
  }

  @Bean(destroyMethod = "close")
  Client etcdClient(IpconfigProperties properties) {
    return EtcdClientFactory.build(properties.etcd());
  }

  @Bean(destroyMethod = "close")
  EtcdWatcher etcdWatcher(
      Client client,
      IpconfigProperties properties,
      RankingState state,
      JsonMapper mapper,
      MeterRegistry registry,
      BestListRefresher refresher) {
    IpconfigProperties.Etcd etcd = properties.etcd();
    return new EtcdWatcher(
        client,
        new EtcdWatcher.Settings(
            etcd.root(),
            etcd.requestTimeout(),
            etcd.probeInterval(),
            etcd.maxBackoff(),
            HostNetworks.of(properties.instanceNetworks())),
        state,
        new OverrideParser(mapper),
        registry,
        refresher::requestRefresh);
  }

  /** Starts the recompute loop and the watcher once the context is up; stops them first. */
  @Bean
  SmartLifecycle rankingLifecycle(
      BestListRefresher refresher, RankingState state, EtcdWatcher watcher) {
    return new SmartLifecycle() {
      private volatile boolean running;

      @Override
      public void start() {
        refresher.start(state, watcher::isStale);
        watcher.start();
        running = true;
      }

      @Override
      public void stop() {
        watcher.close();
        refresher.close();
        running = false;
      }

      @Override
      public boolean isRunning() {
        return running;
      }
    };
  }
}
