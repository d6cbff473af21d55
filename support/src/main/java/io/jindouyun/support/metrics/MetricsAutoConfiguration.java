package io.jindouyun.support.metrics;

import io.jindouyun.support.instance.InstanceAutoConfiguration;
import io.jindouyun.support.instance.InstanceIdentity;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Serves the gRPC {@code MetricsService} from the application's {@link MeterRegistry} (the global
 * registry when the application has none). Off with {@code jindouyun.metrics.enabled=false}.
 */
@AutoConfiguration(after = InstanceAutoConfiguration.class)
@ConditionalOnClass({MeterRegistry.class, io.grpc.Server.class})
@ConditionalOnBooleanProperty(name = "jindouyun.metrics.enabled", matchIfMissing = true)
@EnableConfigurationProperties(MetricsProperties.class)
public class MetricsAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  SnapshotSource jindouyunSnapshotSource(
      ObjectProvider<MeterRegistry> registry, InstanceIdentity identity) {
    return new SnapshotSource(
        registry.getIfAvailable(() -> Metrics.globalRegistry),
        new ProcessProbe(),
        identity::service,
        identity::id);
  }

  @Bean
  @ConditionalOnMissingBean
  MetricsGrpcServer jindouyunMetricsGrpcServer(
      MetricsProperties properties, SnapshotSource source, ConfigurableEnvironment environment) {
    return new MetricsGrpcServer(properties, source, environment);
  }
}
