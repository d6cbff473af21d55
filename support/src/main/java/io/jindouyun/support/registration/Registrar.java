package io.jindouyun.support.registration;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.support.CloseableClient;
import io.grpc.stub.StreamObserver;
import io.jindouyun.support.backoff.Backoff;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one key in etcd for as long as this process lives, attached to the process's own lease.
 *
 * <p>{@link #start()} grants a lease of {@code ttl}, puts the key with it and keeps the lease
 * alive. When the lease is lost — the keep-alive stream ends or fails, etcd answers that the lease
 * is gone (revoked, expired while etcd was unreachable), or no keep-alive answer came for a whole
 * TTL — it grants a new lease and puts the key again, retrying with jittered exponential backoff
 * until it succeeds. {@link #deregister(Duration)} deletes the key first, then revokes the lease. A
 * process that dies without deregistering loses its key when the lease expires (TTL).
 *
 * <p>Concurrency: every state change runs on one private scheduler thread ("jdy-registration");
 * jetcd callbacks hop onto it. Each registration attempt has an epoch; callbacks of an older epoch
 * are ignored. {@link #state()}, {@link #leaseId()} and {@link #lastError()} may be read from any
 * thread.
 */
public final class Registrar {

  /** Registration state, as reported to health. */
  public enum State {
    /** Not started yet. */
    NEW,
    /** The key is in etcd under a live lease. */
    REGISTERED,
    /** The lease was lost or could not be granted; retrying with backoff. */
    RETRYING,
    /** Deregistered (or being deregistered); no more attempts. */
    STOPPED
  }

  private static final Logger log = LoggerFactory.getLogger(Registrar.class);

  private final Client client;
  private final ByteSequence key;
  private final Supplier<String> value;
  private final Duration ttl;
  private final Duration operationTimeout;
  private final Backoff backoff;
  private final ScheduledExecutorService executor;

  private volatile State state = State.NEW;
  private volatile long leaseId;
  private volatile String lastError = "";
  private volatile Instant since = Instant.now();
  // executor thread only
  private long epoch;
  private int failures;
  private long lastAliveNanos;
  private CloseableClient keepAlive;
  private ScheduledFuture<?> retry;
  private ScheduledFuture<?> watchdog;

  /**
   * @param client the etcd client (not closed by this class)
   * @param key the key to keep, e.g. {@code /jindouyun/instances/stream-gateway/gw-1}
   * @param value the value, evaluated at every (re-)registration
   * @param ttl the lease TTL (whole seconds, at least 1 s)
   * @param operationTimeout bound on each etcd call
   * @param backoff delays between failed attempts
   */
  public Registrar(
      Client client,
      String key,
      Supplier<String> value,
      Duration ttl,
      Duration operationTimeout,
      Backoff backoff) {
    if (ttl.toSeconds() < 1) {
      throw new IllegalArgumentException("ttl must be at least 1s: " + ttl);
    }
    this.client = client;
    this.key = ByteSequence.from(key, StandardCharsets.UTF_8);
    this.value = value;
    this.ttl = ttl;
    this.operationTimeout = operationTimeout;
    this.backoff = backoff;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "jdy-registration");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts registering (asynchronously); at most once. */
  public void start() {
    executor.execute(
        () -> {
          if (state != State.NEW) {
            return;
          }
          long period = Math.max(200, ttl.toMillis() / 3);
          watchdog =
              executor.scheduleWithFixedDelay(
                  this::checkAlive, period, period, TimeUnit.MILLISECONDS);
          attempt();
        });
  }

  /** Current state. */
  public State state() {
    return state;
  }

  /** Current lease id (0 when none). */
  public long leaseId() {
    return leaseId;
  }

  /** The last failure, empty when none. */
  public String lastError() {
    return lastError;
  }

  /** When the state last changed. */
  public Instant since() {
    return since;
  }

  /** The key this registrar keeps. */
  public String key() {
    return key.toString(StandardCharsets.UTF_8);
  }

  private void attempt() {
    if (state == State.STOPPED) {
      return;
    }
    long myEpoch = ++epoch;
    long ttlSeconds = ttl.toSeconds();
    long timeoutMs = operationTimeout.toMillis();
    client
        .getLeaseClient()
        .grant(ttlSeconds)
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .thenCompose(
            grant ->
                client
                    .getKVClient()
                    .put(
                        key,
                        ByteSequence.from(value.get(), StandardCharsets.UTF_8),
                        PutOption.builder().withLeaseId(grant.getID()).build())
                    .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .handle(
                        (put, error) -> {
                          if (error != null) {
                            revokeQuietly(grant.getID());
                            throw new IllegalStateException("put failed", error);
                          }
                          return grant.getID();
                        }))
        .whenCompleteAsync((id, error) -> registered(myEpoch, id, error), executor);
  }

  private void registered(long myEpoch, Long id, Throwable error) {
    if (myEpoch != epoch || state == State.STOPPED) {
      if (id != null) {
        revokeQuietly(id);
      }
      return;
    }
    if (error != null) {
      if (clientClosed(error)) {
        changeState(State.STOPPED);
        cancel(watchdog);
        log.warn("etcd client closed; no longer registering {}", key());
        return;
      }
      retryLater("registration failed: " + rootMessage(error));
      return;
    }
    long previous = leaseId;
    leaseId = id;
    failures = 0;
    lastError = "";
    lastAliveNanos = System.nanoTime();
    keepAlive = client.getLeaseClient().keepAlive(id, new KeepAliveObserver(myEpoch));
    changeState(State.REGISTERED);
    log.info("registered {} with lease {} (ttl {})", key(), Long.toHexString(id), ttl);
    if (previous != 0 && previous != id) {
      revokeQuietly(previous);
    }
  }

  private void checkAlive() {
    if (state == State.REGISTERED
        && System.nanoTime() - lastAliveNanos > ttl.toNanos() + operationTimeout.toNanos()) {
      lost(epoch, "no keep-alive answer for " + ttl);
    }
  }

  private void lost(long myEpoch, String reason) {
    if (myEpoch != epoch || state != State.REGISTERED) {
      return;
    }
    closeKeepAlive();
    retryLater("lease " + Long.toHexString(leaseId) + " lost: " + reason);
  }

  private void retryLater(String reason) {
    lastError = reason;
    Duration delay = backoff.delay(failures++);
    changeState(State.RETRYING);
    log.warn("{}; registering {} again in {} ms", reason, key(), delay.toMillis());
    retry = executor.schedule(this::attempt, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Stops keeping the key: deletes it, then revokes the lease. Completes when both are done or
   * failed, or after {@code timeout}; never completes exceptionally.
   */
  public CompletableFuture<Void> deregister(Duration timeout) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    try {
      executor.execute(() -> deregisterNow(done));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      done.complete(null);
    }
    return done.completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((v, e) -> executor.shutdownNow());
  }

  private void deregisterNow(CompletableFuture<Void> done) {
    boolean wasRegistered = state == State.REGISTERED;
    long id = leaseId;
    epoch++;
    changeState(State.STOPPED);
    cancel(retry);
    cancel(watchdog);
    closeKeepAlive();
    long timeoutMs = operationTimeout.toMillis();
    CompletableFuture<?> delete =
        wasRegistered || id != 0
            ? client.getKVClient().delete(key).orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
            : CompletableFuture.completedFuture(null);
    delete
        .handle(
            (r, error) -> {
              if (error != null) {
                log.warn("deleting {} failed: {}", key(), rootMessage(error));
              } else {
                log.info("deregistered {}", key());
              }
              return null;
            })
        .thenCompose(
            ignored ->
                id == 0
                    ? CompletableFuture.completedFuture(null)
                    : client
                        .getLeaseClient()
                        .revoke(id)
                        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                        .handle((r, error) -> null))
        .whenComplete((r, error) -> done.complete(null));
  }

  private void revokeQuietly(long id) {
    client
        .getLeaseClient()
        .revoke(id)
        .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenComplete((r, e) -> {});
  }

  private void closeKeepAlive() {
    if (keepAlive != null) {
      try {
        keepAlive.close();
      } catch (RuntimeException e) {
        log.debug("closing keep-alive failed: {}", e.toString());
      }
      keepAlive = null;
    }
  }

  private void changeState(State next) {
    if (state != next) {
      state = next;
      since = Instant.now();
    }
  }

  private static void cancel(ScheduledFuture<?> future) {
    if (future != null) {
      future.cancel(false);
    }
  }

  /** Whether the client was closed under us (the process is going away): retrying is futile. */
  private static boolean clientClosed(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof io.etcd.jetcd.common.exception.ClosedClientException
          || t instanceof java.util.concurrent.RejectedExecutionException) {
        return true;
      }
    }
    return false;
  }

  private static String rootMessage(Throwable error) {
    Throwable t = error;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** Feeds keep-alive answers back onto the executor; ignores those of an older epoch. */
  private final class KeepAliveObserver implements StreamObserver<LeaseKeepAliveResponse> {
    private final long myEpoch;

    KeepAliveObserver(long myEpoch) {
      this.myEpoch = myEpoch;
    }

    @Override
    public void onNext(LeaseKeepAliveResponse response) {
      long ttlLeft = response.getTTL();
      submit(
          () -> {
            if (myEpoch != epoch) {
              return;
            }
            if (ttlLeft <= 0) {
              lost(myEpoch, "etcd says the lease is gone");
            } else {
              lastAliveNanos = System.nanoTime();
            }
          });
    }

    @Override
    public void onError(Throwable error) {
      submit(() -> lost(myEpoch, "keep-alive failed: " + rootMessage(error)));
    }

    @Override
    public void onCompleted() {
      submit(() -> lost(myEpoch, "keep-alive ended"));
    }

    private void submit(Runnable task) {
      try {
        executor.execute(task);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // deregistered: nothing to do
      }
    }
  }
}
