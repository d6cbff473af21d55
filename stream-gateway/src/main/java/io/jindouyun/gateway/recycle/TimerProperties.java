package io.jindouyun.gateway.recycle;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The shared deadline timer ({@code jindouyun.gateway.timer.*}).
 *
 * @param tick the wheel's tick; deadlines fire up to one tick late
 * @param ticksPerWheel slots of the wheel
 * @param maxPendingTimeouts deadlines pending at once; beyond it new ones are refused
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.timer")
public record TimerProperties(
    @DefaultValue("100ms") @NotNull Duration tick,
    @DefaultValue("512") @Min(1) int ticksPerWheel,
    @DefaultValue("200000") @Min(1) long maxPendingTimeouts) {}
