package io.jindouyun.gateway.openai;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the OpenAI-compatible endpoints ({@code jindouyun.gateway.openai.*}).
 *
 * @param maxConcurrentPerUser requests of one user running at once on this gateway; over it 429
 * @param retryAfter the {@code Retry-After} answered with that 429
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.openai")
public record OpenAiProperties(
    @DefaultValue("8") @Min(1) int maxConcurrentPerUser,
    @DefaultValue("1s") @NotNull Duration retryAfter) {}
