package io.jindouyun.support.health;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The {@code kafka} health indicator of a service that uses Kafka.
 *
 * @param timeout how long one check waits for the cluster to describe itself; longer is DOWN
 * @param cacheFor how long a check's answer is reused, so that frequent probes ask the cluster at
 *     most once per this
 */
@Validated
@ConfigurationProperties("jindouyun.health.kafka")
public record KafkaHealthProperties(
    @DefaultValue("1s") Duration timeout, @DefaultValue("1s") Duration cacheFor) {}
