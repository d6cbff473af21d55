package io.jindouyun.support.etcd;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One etcd lease, granted and kept alive until it is lost or closed.
 *
 * <p>{@link #grant} asks etcd for a lease of {@code ttl} and, once granted, keeps it alive. The
 * lease counts as lost when the keep-alive stream fails or ends, when etcd answers that the lease
 * is gone (revoked from outside, or expired while etcd was unreachable), or when no keep-alive
 * answer came for {@code ttl + operationTimeout}. On loss the keep-alive stops and {@code onLost}
 * is called once with a reason; the lease is not granted again (the owner grants a new one if it
 * wants to). {@link #close()} stops keeping the lease alive and revokes it; a lease that is only
 * abandoned (its owner's process dies) expires after the TTL.
 *
 * <p>Concurrency: {@code onLost} and the liveness check run on the given {@code executor}; keep-
 * alive answers arrive on jetcd threads and only touch volatile/atomic fields or hop onto the
 * executor. Loss and close race through one atomic flag, so {@code onLost} runs at most once, and
 * never after {@link #close()} when close is called on {@code executor} (as both owners do). All
 * methods may be called from any thread. This class never closes the client or the executor.
 */
public final class KeptAliveLease {

  private static final Logger log = LoggerFactory.getLogger(KeptAliveLease.class);

  private final Client client;
  private final long id;
  private final Duration ttl;
  private final Duration operationTimeout;
  private final ScheduledExecutorService executor;
  private final Consumer<String> onLost;
  private final AtomicBoolean ended = new AtomicBoolean();

  private volatile long lastAliveNanos = System.nanoTime();
  private volatile CloseableClient keepAlive;
  private volatile ScheduledFuture<?> watchdog;

  private KeptAliveLease(
      Client client,
      long id,
      Duration ttl,
      Duration operationTimeout,
      ScheduledExecutorService executor,
      Consumer<String> onLost) {
    this.client = client;
    this.id = id;
    this.ttl = ttl;
    this.operationTimeout = operationTimeout;
    this.executor = executor;
    this.onLost = onLost;
  }

  /**
   * Grants a lease and starts keeping it alive.
   *
   * @param client the etcd client (not closed by this class)
   * @param ttl the lease TTL (whole seconds, at least 1 s)
   * @param operationTimeout bound on each etcd call; also the grace beyond the TTL before a lease
   *     without keep-alive answers counts as lost
   * @param executor runs {@code onLost} and the liveness check
   * @param onLost called at most once, on {@code executor}, with the reason the lease was lost
   * @return completes with the kept-alive lease, or exceptionally when the grant failed or timed
   *     out (a synchronous refusal of a closed client also ends up there)
   */
  public static CompletableFuture<KeptAliveLease> grant(
      Client client,
      Duration ttl,
      Duration operationTimeout,
      ScheduledExecutorService executor,
      Consumer<String> onLost) {
    if (ttl.toSeconds() < 1) {
      throw new IllegalArgumentException("ttl must be at least 1s: " + ttl);
    }
    CompletableFuture<io.etcd.jetcd.lease.LeaseGrantResponse> granted;
    try {
      granted = client.getLeaseClient().grant(ttl.toSeconds());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return granted
        .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .thenApply(
            grant -> {
              KeptAliveLease lease =
                  new KeptAliveLease(
                      client, grant.getID(), ttl, operationTimeout, executor, onLost);
              lease.start();
              return lease;
            });
  }

  /** The lease id. */
  public long id() {
    return id;
  }

  /** Whether the lease was lost or closed. */
  public boolean ended() {
    return ended.get();
  }

  private void start() {
    long period = Math.max(100, ttl.toMillis() / 3);
    try {
      watchdog =
          executor.scheduleWithFixedDelay(this::checkAlive, period, period, TimeUnit.MILLISECONDS);
      keepAlive = client.getLeaseClient().keepAlive(id, new Observer());
    } catch (RuntimeException e) {
      lost("keep-alive could not start: " + rootMessage(e));
    }
    if (ended.get()) {
      stopKeepingAlive(); // lost or closed while starting
    }
  }

  private void checkAlive() {
    if (System.nanoTime() - lastAliveNanos > ttl.toNanos() + operationTimeout.toNanos()) {
      lost("no keep-alive answer for " + ttl.plus(operationTimeout));
    }
  }

  private void lost(String reason) {
    if (!ended.compareAndSet(false, true)) {
      return;
    }
    stopKeepingAlive();
    try {
      executor.execute(() -> onLost.accept("lease " + Long.toHexString(id) + " lost: " + reason));
    } catch (RejectedExecutionException e) {
      // the owner is shutting down: nobody to tell
    }
  }

  /**
   * Stops keeping the lease alive and revokes it (which deletes every key attached to it). Never
   * completes exceptionally; completes when etcd answered or after the operation timeout. Calling
   * it again, or after the lease was lost, just revokes again (a no-op in etcd for a gone lease).
   */
  public CompletableFuture<Void> close() {
    ended.set(true);
    stopKeepingAlive();
    try {
      return client
          .getLeaseClient()
          .revoke(id)
          .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
          .handle(
              (r, error) -> {
                if (error != null) {
                  log.debug(
                      "revoking lease {} failed: {}", Long.toHexString(id), rootMessage(error));
                }
                return null;
              });
    } catch (RuntimeException e) {
      return CompletableFuture.completedFuture(null); // client closed: the lease expires
    }
  }

  private void stopKeepingAlive() {
    ScheduledFuture<?> w = watchdog;
    if (w != null) {
      w.cancel(false);
    }
    CloseableClient k = keepAlive;
    if (k != null) {
      try {
        k.close();
      } catch (RuntimeException e) {
        log.debug("closing keep-alive failed: {}", e.toString());
      }
    }
  }

  /** The root cause of {@code error} as "Type: message", for logs and reasons. */
  public static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** Records keep-alive answers; reports loss on a gone lease, an error or the end. */
  private final class Observer implements StreamObserver<LeaseKeepAliveResponse> {
    @Override
    public void onNext(LeaseKeepAliveResponse response) {
      if (response.getTTL() <= 0) {
        lost("etcd says the lease is gone");
      } else {
        lastAliveNanos = System.nanoTime();
      }
    }

    @Override
    public void onError(Throwable error) {
      lost("keep-alive failed: " + rootMessage(error));
    }

    @Override
    public void onCompleted() {
      lost("keep-alive ended");
    }
  }
}
