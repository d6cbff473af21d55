package io.jindouyun.gateway.config;

import io.jindouyun.gateway.metrics.EventLoopLagProbe;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.ReactorResourceFactory;
import reactor.netty.resources.LoopResources;

/**
 * Probes the event loops the HTTP server runs on: the worker loops of the {@link
 * ReactorResourceFactory}'s {@link LoopResources}, which Spring Boot's Netty web server runs on
 * ({@code HttpServer.runOn}), taken the same way the server takes them ({@code onServer} with the
 * native transport when available).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(LoopProbeProperties.class)
class LoopProbeConfig {

  @Bean
  EventLoopLagProbe eventLoopLagProbe(
      ReactorResourceFactory resources, LoopProbeProperties props, MeterRegistry registry) {
    return new EventLoopLagProbe(
        resources.getLoopResources().onServer(LoopResources.DEFAULT_NATIVE),
        props.loopProbePeriod(),
        registry);
  }

  @Bean
  SmartLifecycle eventLoopLagProbeLifecycle(EventLoopLagProbe probe) {
    return new ProbeLifecycle(probe);
  }

  /**
   * Runs the probe while the loops live: phase 1, just above the loop resources' phase 0, so it
   * starts once the loops exist and stops after the web server (a higher phase) and before the
   * loops are disposed.
   */
  private record ProbeLifecycle(EventLoopLagProbe probe) implements SmartLifecycle {

    @Override
    public void start() {
      probe.start();
    }

    @Override
    public void stop() {
      probe.stop();
    }

    @Override
    public boolean isRunning() {
      return probe.isRunning();
    }

    @Override
    public int getPhase() {
      return 1;
    }
  }
}
