package io.jindouyun.support.metrics;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.jindouyun.proto.metrics.v1.GetRequest;
import io.jindouyun.proto.metrics.v1.MetricsServiceGrpc;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.jindouyun.proto.metrics.v1.WatchRequest;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC {@code jindouyun.metrics.v1.MetricsService}.
 *
 * <p>{@code Get} answers one snapshot whose averages cover the time since the previous {@code Get}.
 * {@code Watch} sends a snapshot at once (interval 0: totals and gauges only) and then one every
 * interval, the interval clamped to {@code [minInterval, maxInterval]}; each watcher keeps its own
 * previous sample, so its averages and rates cover exactly its own last interval.
 *
 * <p>Concurrency: every watcher's ticks run on the shared {@code scheduler}; one watcher's ticks
 * never overlap (fixed-delay scheduling), so its stream observer is only touched by one thread at a
 * time. A scheduler that falls behind (a starved CPU) does not catch up with a burst of
 * back-to-back snapshots: the next one comes an interval after the last and covers the longer time.
 * When the client is not ready (flow control), the tick is skipped and the next snapshot covers the
 * longer interval: nothing queues. At most {@code maxWatchers} streams are open; more are refused
 * with {@code RESOURCE_EXHAUSTED}. A cancelled call (client gone, deadline, server shutdown)
 * cancels its scheduled task at once, so the scheduler holds no task of a dead stream (use a {@link
 * java.util.concurrent.ScheduledThreadPoolExecutor} with {@code setRemoveOnCancelPolicy(true)}).
 */
public final class MetricsGrpcService extends MetricsServiceGrpc.MetricsServiceImplBase {

  private static final Logger log = LoggerFactory.getLogger(MetricsGrpcService.class);

  private final SnapshotSource source;
  private final ScheduledExecutorService scheduler;
  private final Duration defaultInterval;
  private final Duration minInterval;
  private final Duration maxInterval;
  private final int maxWatchers;
  private final AtomicInteger watcherCount = new AtomicInteger();
  private final Set<Watcher> watchers = ConcurrentHashMap.newKeySet();
  private final AtomicReference<Sample> lastGet;
  private volatile boolean closed;

  public MetricsGrpcService(
      SnapshotSource source,
      ScheduledExecutorService scheduler,
      Duration defaultInterval,
      Duration minInterval,
      Duration maxInterval,
      int maxWatchers) {
    if (minInterval.compareTo(maxInterval) > 0 || minInterval.toMillis() < 1) {
      throw new IllegalArgumentException("need 1ms <= minInterval <= maxInterval");
    }
    this.source = source;
    this.scheduler = scheduler;
    this.defaultInterval = defaultInterval;
    this.minInterval = minInterval;
    this.maxInterval = maxInterval;
    this.maxWatchers = maxWatchers;
    this.lastGet = new AtomicReference<>(source.sample());
  }

  @Override
  public void get(GetRequest request, StreamObserver<MetricsSnapshot> responseObserver) {
    Sample now = source.sample();
    Sample previous = lastGet.getAndSet(now);
    responseObserver.onNext(source.snapshot(previous, now));
    responseObserver.onCompleted();
  }

  @Override
  public void watch(WatchRequest request, StreamObserver<MetricsSnapshot> responseObserver) {
    ServerCallStreamObserver<MetricsSnapshot> call =
        (ServerCallStreamObserver<MetricsSnapshot>) responseObserver;
    if (closed) {
      call.onError(Status.UNAVAILABLE.withDescription("shutting down").asRuntimeException());
      return;
    }
    if (watcherCount.incrementAndGet() > maxWatchers) {
      watcherCount.decrementAndGet();
      call.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription("too many watchers (max " + maxWatchers + ")")
              .asRuntimeException());
      return;
    }
    long intervalMs = clamp(request.getIntervalMs());
    Watcher watcher = new Watcher(call);
    watchers.add(watcher);
    call.setOnCancelHandler(watcher::stop);
    watcher.schedule(intervalMs);
  }

  /** The interval a request gets, in milliseconds. */
  long clamp(long requestedMs) {
    long ms = requestedMs <= 0 ? defaultInterval.toMillis() : requestedMs;
    return Math.max(minInterval.toMillis(), Math.min(maxInterval.toMillis(), ms));
  }

  /** Open watch streams. */
  public int activeWatchers() {
    return watcherCount.get();
  }

  /** Refuses new watchers and completes the open ones (on the scheduler). */
  public void close() {
    closed = true;
    for (Watcher watcher : watchers) {
      watcher.complete();
    }
  }

  /** One open {@code Watch} stream. Its ticks run on the scheduler, never concurrently. */
  private final class Watcher {
    private final ServerCallStreamObserver<MetricsSnapshot> call;
    // guarded by this
    private ScheduledFuture<?> task;
    // guarded by this
    private boolean stopped;
    // scheduler thread only
    private Sample previous;

    Watcher(ServerCallStreamObserver<MetricsSnapshot> call) {
      this.call = call;
    }

    synchronized void schedule(long intervalMs) {
      if (!stopped) {
        task = scheduler.scheduleWithFixedDelay(this::tick, 0, intervalMs, TimeUnit.MILLISECONDS);
      }
    }

    private void tick() {
      try {
        synchronized (this) {
          if (stopped) {
            return;
          }
        }
        if (!call.isReady()) {
          return;
        }
        Sample now = source.sample();
        MetricsSnapshot snapshot = source.snapshot(previous, now);
        previous = now;
        call.onNext(snapshot);
      } catch (RuntimeException e) {
        // a failing tick must not silently end the scheduled task while counted as open
        log.warn("metrics watch ended by a failing tick: {}", e.toString());
        stop();
      }
    }

    void complete() {
      scheduler.execute(
          () -> {
            if (stop()) {
              try {
                call.onCompleted();
              } catch (RuntimeException e) {
                log.debug("completing metrics watch failed: {}", e.toString());
              }
            }
          });
    }

    /** Stops the ticks; true for the caller that stopped it. */
    boolean stop() {
      synchronized (this) {
        if (stopped) {
          return false;
        }
        stopped = true;
        if (task != null) {
          task.cancel(false);
        }
      }
      watchers.remove(this);
      watcherCount.decrementAndGet();
      return true;
    }
  }
}
