package io.jindouyun.support.metrics;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.jindouyun.support.instance.InstanceIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Runs the gRPC metrics server for the application's lifetime.
 *
 * <p>Starts early (phase {@link #PHASE}, before the web server) and stops late (after the web
 * server has drained), so the exporter sees figures for as long as the instance serves. Once bound
 * it publishes the actual port as {@value InstanceIdentity#GRPC_PORT_PROPERTY} in the environment,
 * which self-registration reads. Owns one scheduler thread for all watch streams.
 */
public final class MetricsGrpcServer implements SmartLifecycle {

  /** Lifecycle phase: well below the web server's start/stop phases. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

  private static final Logger log = LoggerFactory.getLogger(MetricsGrpcServer.class);

  private final MetricsProperties properties;
  private final SnapshotSource source;
  private final ConfigurableEnvironment environment;
  private ScheduledThreadPoolExecutor scheduler;
  private MetricsGrpcService service;
  private Server server;
  private volatile boolean running;

  public MetricsGrpcServer(
      MetricsProperties properties, SnapshotSource source, ConfigurableEnvironment environment) {
    this.properties = properties;
    this.source = source;
    this.environment = environment;
  }

  @Override
  public synchronized void start() {
    if (running) {
      return;
    }
    scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "jdy-metrics-watch");
              t.setDaemon(true);
              return t;
            });
    scheduler.setRemoveOnCancelPolicy(true);
    service =
        new MetricsGrpcService(
            source,
            scheduler,
            properties.defaultInterval(),
            properties.minInterval(),
            properties.maxInterval(),
            properties.maxWatchers());
    try {
      server =
          NettyServerBuilder.forAddress(
                  new InetSocketAddress(properties.bindAddress(), properties.grpcPort()))
              .addService(service)
              .build()
              .start();
    } catch (IOException e) {
      scheduler.shutdownNow();
      throw new UncheckedIOException(
          "cannot start the metrics gRPC server on "
              + properties.bindAddress()
              + ":"
              + properties.grpcPort(),
          e);
    }
    environment
        .getPropertySources()
        .addFirst(
            new MapPropertySource(
                "jindouyunMetricsServer",
                Map.of(InstanceIdentity.GRPC_PORT_PROPERTY, server.getPort())));
    running = true;
    log.info("metrics gRPC server listening on {}:{}", properties.bindAddress(), server.getPort());
  }

  @Override
  public synchronized void stop() {
    if (!running) {
      return;
    }
    running = false;
    service.close();
    server.shutdown();
    try {
      if (!server.awaitTermination(
          properties.shutdownTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    }
    scheduler.shutdownNow();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }

  /** The bound port (0 when not running). */
  public int port() {
    Server s = server;
    return running && s != null ? s.getPort() : 0;
  }

  /** The service, for tests (null before start). */
  public MetricsGrpcService service() {
    return service;
  }

  /** Scheduled tasks not yet cancelled or done, for tests (0 before start). */
  public int scheduledTasks() {
    ScheduledThreadPoolExecutor s = scheduler;
    return s == null ? 0 : s.getQueue().size();
  }
}
