package io.jindouyun.exporter;

import io.jindouyun.contract.EtcdKeys;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The exporter: which targets to pull, how often, and how it writes to etcd.
 *
 * @param interval interval asked of every target's {@code Watch} stream, and of the etcd writes
 * @param staticTargets targets besides the registered ones, {@code service/id@host:grpcPort}
 * @param leaseTtl TTL of the exporter's lease: the leader's election key and every metrics key it
 *     writes live under it (a few intervals)
 * @param idleIntervals a stream with no snapshot for this many intervals is cancelled and retried
 * @param connectTimeout a new stream whose first snapshot has not come within this time (and within
 *     {@code idleIntervals} intervals, whichever is longer) is cancelled and retried; covers
 *     connection set-up, which takes seconds when hundreds of targets appear at once
 * @param retryInitial first delay before reconnecting a failed stream
 * @param retryMax ceiling of the jittered exponential reconnect delay
 * @param maxTargets bound on targets pulled at once; more are ignored with a warning
 * @param maxOpsPerTxn bound on operations in one etcd transaction (etcd's own default limit is 128)
 * @param batchWrites whether a tick's writes go in transactions (true) or one request per key
 * @param operationTimeout bound on each etcd call
 * @param electionName etcd election the exporters campaign in
 * @param maxMessageBytes bound on one snapshot message from a target
 */
@Validated
@ConfigurationProperties("jindouyun.exporter")
public record ExporterProperties(
    @DefaultValue("1s") Duration interval,
    @DefaultValue({}) List<String> staticTargets,
    @DefaultValue("5s") Duration leaseTtl,
    @DefaultValue("3") @Min(2) int idleIntervals,
    @DefaultValue("5s") Duration connectTimeout,
    @DefaultValue("200ms") Duration retryInitial,
    @DefaultValue("10s") Duration retryMax,
    @DefaultValue("4096") @Min(1) int maxTargets,
    @DefaultValue("128") @Min(1) @Max(128) int maxOpsPerTxn,
    @DefaultValue("true") boolean batchWrites,
    @DefaultValue("3s") Duration operationTimeout,
    @DefaultValue(EtcdKeys.DEFAULT_ROOT + "exporter/leader") String electionName,
    @DefaultValue("65536") @Min(1024) int maxMessageBytes) {}
