package io.jindouyun.support.metrics;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The gRPC {@code MetricsService} every backend serves.
 *
 * @param enabled whether to serve the metrics gRPC service at all
 * @param grpcPort port to listen on; 0 picks a free port (published as {@code
 *     local.jindouyun.metrics.grpc-port})
 * @param bindAddress address to bind the gRPC server to
 * @param defaultInterval interval of a {@code Watch} that asks for none (interval_ms 0)
 * @param minInterval smallest interval a {@code Watch} may ask for (smaller is raised)
 * @param maxInterval largest interval a {@code Watch} may ask for (larger is lowered)
 * @param maxWatchers bound on concurrent {@code Watch} streams; more are refused with
 *     RESOURCE_EXHAUSTED
 * @param shutdownTimeout how long stopping waits for open calls before cancelling them
 */
@Validated
@ConfigurationProperties("jindouyun.metrics")
public record MetricsProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("0") @Min(0) @Max(65535) int grpcPort,
    @DefaultValue("127.0.0.1") String bindAddress,
    @DefaultValue("1s") Duration defaultInterval,
    @DefaultValue("100ms") Duration minInterval,
    @DefaultValue("60s") Duration maxInterval,
    @DefaultValue("64") @Min(1) int maxWatchers,
    @DefaultValue("2s") Duration shutdownTimeout) {}
