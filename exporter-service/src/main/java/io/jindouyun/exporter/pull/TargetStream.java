package io.jindouyun.exporter.pull;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.jindouyun.exporter.target.Target;
import io.jindouyun.proto.metrics.v1.MetricsServiceGrpc;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.jindouyun.proto.metrics.v1.WatchRequest;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One target's {@code Watch} stream, kept open: when it fails, ends, or stays silent longer than
 * the idle timeout (a hung target), it is cancelled, logged and reopened after a jittered
 * exponential backoff; the backoff resets once a snapshot arrives.
 *
 * <p>Concurrency: state changes run on the shared single-threaded executor (gRPC callbacks hop onto
 * it); only {@link #lastActivityNanos} and {@link #epoch} are read from gRPC threads. Each opened
 * call has an epoch; callbacks of an older call are ignored.
 */
final class TargetStream {

  private static final Logger log = LoggerFactory.getLogger(TargetStream.class);

  private final Target target;
  private final StreamContext context;
  // executor thread only (replaced after a hung stream)
  private ManagedChannel channel;

  private volatile long epoch;
  private volatile long lastActivityNanos;
  private volatile boolean gotSnapshot;
  // executor thread only
  private ClientCallStreamObserver<WatchRequest> call;
  private ScheduledFuture<?> reconnect;
  private int failures;
  private boolean closed;

  TargetStream(Target target, StreamContext context) {
    this.target = target;
    this.context = context;
    this.channel = newChannel();
  }

  private ManagedChannel newChannel() {
    return NettyChannelBuilder.forAddress(target.host(), target.grpcPort())
        .usePlaintext()
        .maxInboundMessageSize(context.maxMessageBytes())
        .build();
  }

  Target target() {
    return target;
  }

  /** Opens the stream (executor thread). */
  void open() {
    if (closed) {
      return;
    }
    long myEpoch = ++epoch;
    gotSnapshot = false;
    lastActivityNanos = System.nanoTime();
    channel.resetConnectBackoff();
    context.stats().opened();
    MetricsServiceGrpc.newStub(channel)
        .watch(
            WatchRequest.newBuilder().setIntervalMs(context.intervalMs()).build(),
            new Observer(myEpoch));
  }

  /** Cancels the stream if it has been silent too long (executor thread). */
  void checkIdle(long nowNanos) {
    long limit = gotSnapshot ? context.idleTimeoutNanos() : context.firstSnapshotTimeoutNanos();
    if (closed || call == null || nowNanos - lastActivityNanos <= limit) {
      return;
    }
    String reason = "no snapshot within " + limit / 1_000_000 + " ms";
    call.cancel(reason, null);
    // the connection itself may be the hung part (no HTTP/2 handshake): start over with a new one
    channel.shutdownNow();
    channel = newChannel();
    failed(epoch, "hung: " + reason, true);
  }

  /** Closes the stream and its channel for good (executor thread). */
  void close() {
    closed = true;
    epoch++;
    if (call != null) {
      call.cancel("target removed", null);
      call = null;
    }
    if (reconnect != null) {
      reconnect.cancel(false);
    }
    channel.shutdownNow();
  }

  private void failed(long myEpoch, String reason, boolean hung) {
    if (myEpoch != epoch || closed) {
      return;
    }
    epoch++;
    call = null;
    context.store().down(target.key());
    if (gotSnapshot) {
      failures = 0;
    }
    Duration delay = context.backoff().delay(failures++);
    context.stats().failed(hung);
    log.warn(
        "metrics stream of {} {}; retry {} in {} ms", target, reason, failures, delay.toMillis());
    reconnect = context.executor().schedule(this::open, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void submit(Runnable task) {
    try {
      context.executor().execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // shutting down
    }
  }

  private final class Observer implements ClientResponseObserver<WatchRequest, MetricsSnapshot> {
    private final long myEpoch;

    Observer(long myEpoch) {
      this.myEpoch = myEpoch;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchRequest> requestStream) {
      call = requestStream; // runs synchronously inside open(), on the executor
    }

    @Override
    public void onNext(MetricsSnapshot snapshot) {
      if (myEpoch != epoch) {
        return;
      }
      lastActivityNanos = System.nanoTime();
      gotSnapshot = true;
      context.store().snapshot(target, snapshot);
    }

    @Override
    public void onError(Throwable error) {
      Status status = Status.fromThrowable(error);
      submit(
          () ->
              failed(
                  myEpoch,
                  "failed: "
                      + status.getCode()
                      + (status.getDescription() == null ? "" : " " + status.getDescription()),
                  false));
    }

    @Override
    public void onCompleted() {
      submit(() -> failed(myEpoch, "ended by the target", false));
    }
  }
}
