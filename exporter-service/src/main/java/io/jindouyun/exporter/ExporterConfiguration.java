package io.jindouyun.exporter;

import io.etcd.jetcd.Client;
import io.jindouyun.exporter.leader.LeaderElection;
import io.jindouyun.exporter.prometheus.BackendGauges;
import io.jindouyun.exporter.publish.MetricsWriter;
import io.jindouyun.exporter.pull.SnapshotStore;
import io.jindouyun.exporter.pull.TargetStreams;
import io.jindouyun.exporter.target.Target;
import io.jindouyun.exporter.target.TargetDiscovery;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.instance.InstanceIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the exporter from {@link ExporterProperties} and the etcd client of the support library.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ExporterProperties.class)
class ExporterConfiguration {

  @Bean
  SnapshotStore snapshotStore() {
    return new SnapshotStore();
  }

  @Bean
  Exporter exporter(
      ExporterProperties properties,
      ObjectProvider<Client> clientProvider,
      SnapshotStore store,
      MeterRegistry registry,
      InstanceIdentity identity) {
    Client client =
        clientProvider.getIfAvailable(
            () -> {
              throw new IllegalStateException(
                  "the exporter needs etcd: set jindouyun.etcd.endpoints");
            });
    List<Target> statics = properties.staticTargets().stream().map(Target::parseStatic).toList();
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "jdy-exporter");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    Backoff backoff = new Backoff(properties.retryInitial(), properties.retryMax());
    TargetStreams streams =
        new TargetStreams(
            executor,
            store,
            backoff,
            properties.interval(),
            properties.idleIntervals(),
            properties.connectTimeout(),
            properties.maxMessageBytes(),
            registry);
    BackendGauges gauges = new BackendGauges(registry, store);
    LeaderElection election =
        new LeaderElection(
            client,
            properties.electionName(),
            identity.id(),
            properties.leaseTtl(),
            properties.operationTimeout(),
            backoff,
            executor);
    MetricsWriter writer =
        new MetricsWriter(
            client,
            store,
            election::leaderLease,
            executor,
            properties.maxOpsPerTxn(),
            properties.batchWrites(),
            properties.operationTimeout(),
            registry);
    TargetDiscovery discovery =
        new TargetDiscovery(
            client,
            statics,
            targets -> {
              boolean removed = streams.update(targets);
              gauges.update(targets);
              if (removed) {
                writer.flush(); // a gone target's metrics key goes now, not at the next tick
              }
            },
            executor,
            backoff,
            properties.operationTimeout(),
            properties.maxTargets());
    return new Exporter(
        executor,
        discovery,
        streams,
        gauges,
        election,
        writer,
        properties.interval(),
        properties.operationTimeout().multipliedBy(2));
  }
}
