package io.jindouyun.gateway.kafka;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Kafka topics and the reply partition ({@code jindouyun.gateway.kafka.*}; brokers and producer
 * settings come from {@code spring.kafka.*}).
 *
 * @param jobsTopic where handshakes put jobs
 * @param repliesTopic where the consumers put chunks; this gateway reads one partition of it
 * @param controlTopic where cancels go
 * @param replyPartition the partition to read when no etcd endpoints are configured
 * @param replyPartitions partitions of the reply topic to try in etcd; 0 reads the topic metadata
 * @param claimLeaseTtl TTL of the etcd lease the reply partition claim is attached to (kept alive
 *     while running; whole seconds)
 * @param pollTimeout longest wait of one poll of the reply partition
 * @param startupTimeout bound on the metadata, seek and etcd calls at startup
 * @param controlQueueCapacity cancels waiting to be sent; beyond it they are dropped and counted
 * @param maxTakenOverPartitions reply partitions of gone gateways this gateway takes over and reads
 *     at once, besides its own (0: it takes over none)
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.kafka")
public record ReplyProperties(
    @DefaultValue("chat.jobs") @NotBlank String jobsTopic,
    @DefaultValue("chat.replies") @NotBlank String repliesTopic,
    @DefaultValue("chat.control") @NotBlank String controlTopic,
    @DefaultValue("0") @Min(0) int replyPartition,
    @DefaultValue("0") @Min(0) int replyPartitions,
    @DefaultValue("10s") @NotNull Duration claimLeaseTtl,
    @DefaultValue("100ms") @NotNull Duration pollTimeout,
    @DefaultValue("30s") @NotNull Duration startupTimeout,
    @DefaultValue("10000") @Min(1) int controlQueueCapacity,
    @DefaultValue("2") @Min(0) int maxTakenOverPartitions) {}
