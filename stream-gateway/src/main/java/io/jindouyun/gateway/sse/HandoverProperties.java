package io.jindouyun.gateway.sse;

import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How a reader of another gateway's stream is served ({@code jindouyun.gateway.handover.*}).
 *
 * @param lookFor how long the owner of a stream whose gateway nobody holds or took over is looked
 *     for (a survivor may be about to publish its takeover) before the reader gets 404
 * @param lookEvery how often it is looked for meanwhile
 * @param clientRetry the {@code retry:} told to a reader whose stream's gateway is gone and not yet
 *     replaced (a 200 {@code text/event-stream} that ends at once, so EventSource comes back)
 * @param connectTimeout bound on connecting to the gateway a reader is proxied to
 * @param drainWait how long a drained gateway (SIGTERM) waits for another to take its streams over
 *     before it ends them with an error instead
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.handover")
public record HandoverProperties(
    @DefaultValue("5s") @NotNull Duration lookFor,
    @DefaultValue("250ms") @NotNull Duration lookEvery,
    @DefaultValue("1s") @NotNull Duration clientRetry,
    @DefaultValue("1s") @NotNull Duration connectTimeout,
    @DefaultValue("10s") @NotNull Duration drainWait) {}
