package io.jindouyun.support.registration;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.etcd.KeptAliveLease;
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
 * <p>{@link #start()} grants a {@link KeptAliveLease} of {@code ttl} and puts the key with it. When
 * the lease is lost (see {@link KeptAliveLease}: the keep-alive fails or ends, etcd says the lease
 * is gone, or no keep-alive answer for the TTL plus the operation timeout) it grants a new lease
 * and puts the key again, retrying with jittered exponential backoff until it succeeds. {@link
 * #deregister(Duration)} deletes the key first, then revokes the lease. A process that dies without
 * deregistering loses its key when the lease expires (TTL).
 *
 * <p>Concurrency: every state change runs on one private scheduler thread ("jdy-registration");
 * jetcd callbacks and the lease's loss reports hop onto it. Each registration attempt has an epoch;
 * callbacks of an older epoch are ignored. {@link #state()}, {@link #leaseId()} and {@link
 * #lastError()} may be read from any thread.
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
  private KeptAliveLease lease;
  private ScheduledFuture<?> retry;

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
    long timeoutMs = operationTimeout.toMillis();
    KeptAliveLease.grant(client, ttl, operationTimeout, executor, reason -> lost(myEpoch, reason))
        .thenCompose(
            lease ->
                client
                    .getKVClient()
                    .put(
                        key,
                        ByteSequence.from(value.get(), StandardCharsets.UTF_8),
                        PutOption.builder().withLeaseId(lease.id()).build())
                    .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .handle(
                        (put, error) -> {
                          if (error != null) {
                            lease.close();
                            throw new IllegalStateException("put failed", error);
                          }
                          return lease;
                        }))
        .whenCompleteAsync((lease, error) -> registered(myEpoch, lease, error), executor);
  }

  private void registered(long myEpoch, KeptAliveLease granted, Throwable error) {
    if (myEpoch != epoch || state == State.STOPPED) {
      if (granted != null) {
        granted.close();
      }
      return;
    }
    if (error != null) {
      if (clientClosed(error)) {
        changeState(State.STOPPED);
        log.warn("etcd client closed; no longer registering {}", key());
        return;
      }
      retryLater("registration failed: " + KeptAliveLease.rootMessage(error));
      return;
    }
    if (granted.ended()) {
      // lost between grant and put: its loss report finds us not registered and is ignored
      granted.close();
      retryLater("lease " + Long.toHexString(granted.id()) + " lost while registering");
      return;
    }
    KeptAliveLease previous = lease;
    lease = granted;
    leaseId = granted.id();
    failures = 0;
    lastError = "";
    changeState(State.REGISTERED);
    log.info("registered {} with lease {} (ttl {})", key(), Long.toHexString(leaseId), ttl);
    if (previous != null) {
      previous.close(); // lost already; the key now hangs on the new lease
    }
  }

  private void lost(long myEpoch, String reason) {
    if (myEpoch != epoch || state != State.REGISTERED) {
      return;
    }
    retryLater(reason);
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
    KeptAliveLease current = lease;
    lease = null;
    epoch++;
    changeState(State.STOPPED);
    cancel(retry);
    CompletableFuture<?> delete;
    try {
      delete =
          current == null
              ? CompletableFuture.completedFuture(null)
              : client
                  .getKVClient()
                  .delete(key)
                  .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      delete = CompletableFuture.failedFuture(e);
    }
    delete
        .handle(
            (r, error) -> {
              if (error != null) {
                log.warn("deleting {} failed: {}", key(), KeptAliveLease.rootMessage(error));
              } else if (current != null) {
                log.info("deregistered {}", key());
              }
              return null;
            })
        .thenCompose(
            ignored ->
                current == null ? CompletableFuture.<Void>completedFuture(null) : current.close())
        .whenComplete((r, error) -> done.complete(null));
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
}
