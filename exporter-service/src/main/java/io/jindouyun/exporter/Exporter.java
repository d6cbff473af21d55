package io.jindouyun.exporter;

import io.jindouyun.exporter.leader.LeaderElection;
import io.jindouyun.exporter.prometheus.BackendGauges;
import io.jindouyun.exporter.publish.MetricsWriter;
import io.jindouyun.exporter.pull.TargetStreams;
import io.jindouyun.exporter.target.TargetDiscovery;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Runs the exporter: discovery feeds the target streams and the Prometheus gauges; every interval
 * the writer puts the newest snapshots into etcd while the election says this exporter leads.
 *
 * <p>Every exporter pulls every target and serves every figure on {@code /actuator/prometheus} (a
 * standby is warm and takes over without a gap); only the leader writes etcd.
 *
 * <p>Concurrency: one single-threaded scheduler ("jdy-exporter") owns the state of discovery,
 * streams, gauges, election and writer; it never blocks (etcd and gRPC calls are asynchronous).
 */
final class Exporter implements SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(Exporter.class);

  private final ScheduledExecutorService executor;
  private final TargetDiscovery discovery;
  private final TargetStreams streams;
  private final BackendGauges gauges;
  private final LeaderElection election;
  private final MetricsWriter writer;
  private final Duration interval;
  private final Duration stopTimeout;
  private ScheduledFuture<?> ticks;
  private volatile boolean running;

  Exporter(
      ScheduledExecutorService executor,
      TargetDiscovery discovery,
      TargetStreams streams,
      BackendGauges gauges,
      LeaderElection election,
      MetricsWriter writer,
      Duration interval,
      Duration stopTimeout) {
    this.executor = executor;
    this.discovery = discovery;
    this.streams = streams;
    this.gauges = gauges;
    this.election = election;
    this.writer = writer;
    this.interval = interval;
    this.stopTimeout = stopTimeout;
  }

  @Override
  public void start() {
    streams.start();
    discovery.start();
    election.start();
    ticks =
        executor.scheduleAtFixedRate(
            this::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    running = true;
  }

  private void tick() {
    try {
      writer.tick();
    } catch (RuntimeException e) {
      log.error("metrics write tick failed", e);
    }
  }

  @Override
  public void stop() {
    running = false;
    if (ticks != null) {
      ticks.cancel(false);
    }
    discovery.close();
    try {
      election.close().get(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
      executor
          .submit(
              () -> {
                streams.close();
                gauges.close();
              })
          .get(stopTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("exporter did not stop cleanly: {}", e.toString());
    }
    executor.shutdownNow();
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
