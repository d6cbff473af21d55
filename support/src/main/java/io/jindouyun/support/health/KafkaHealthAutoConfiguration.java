package io.jindouyun.support.health;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * Health indicator {@code kafka} ({@link KafkaHealthIndicator}) for a service that has Spring
 * Kafka's {@link KafkaAdmin} (stream-gateway, llm-consumer); its readiness group includes it.
 */
@AutoConfiguration(
    afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(
    name = {
      "org.springframework.kafka.core.KafkaAdmin",
      "org.springframework.boot.health.contributor.HealthIndicator"
    })
@ConditionalOnBean(KafkaAdmin.class)
@EnableConfigurationProperties(KafkaHealthProperties.class)
public class KafkaHealthAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(name = "kafkaHealthIndicator")
  KafkaHealthIndicator kafkaHealthIndicator(KafkaAdmin admin, KafkaHealthProperties properties) {
    return new KafkaHealthIndicator(admin.getConfigurationProperties(), properties);
  }
}
