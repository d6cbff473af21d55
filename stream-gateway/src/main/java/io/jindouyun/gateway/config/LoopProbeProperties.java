package io.jindouyun.gateway.config;

import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The gateway's own measurements ({@code jindouyun.gateway.metrics.*}).
 *
 * @param loopProbePeriod time between two lag probes of one event loop (1 ms to 1 s); the lag
 *     window (1 s) keeps {@code 1s / period + 1} samples per loop
 */
@Validated
@ConfigurationProperties("jindouyun.gateway.metrics")
public record LoopProbeProperties(@DefaultValue("100ms") @NotNull Duration loopProbePeriod) {

  public LoopProbeProperties {
    if (loopProbePeriod != null
        && (loopProbePeriod.compareTo(Duration.ofMillis(1)) < 0
            || loopProbePeriod.compareTo(Duration.ofSeconds(1)) > 0)) {
      throw new IllegalArgumentException(
          "jindouyun.gateway.metrics.loop-probe-period must be within 1ms..1s, was "
              + loopProbePeriod);
    }
  }
}
