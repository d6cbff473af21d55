package io.jindouyun.support.registration;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.etcd.KeptAliveLease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
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
 * <p>{@link #start()} grants a {@link KeptAliveLease} of {@code ttl} and puts the key with it, in a
 * transaction, only if the key is absent or already this process's own (still on the lease this
 * registrar last held, or holding the same value). A key held by another instance is never
 * overwritten: {@link #started()} tells start-up whether it may go on. When the lease is lost (see
 * {@link KeptAliveLease}: the keep-alive fails or ends, etcd says the lease is gone, or no
 * keep-alive answer for the TTL plus the operation timeout) it grants a new lease and puts the key
 * again the same way, retrying with jittered exponential backoff until it succeeds. {@link
 * #deregister(Duration)} deletes the key first (if it still holds this process's value), then
 * revokes the lease. A process that dies without deregistering loses its key when the lease expires
 * (TTL).
 *
 * <p>Concurrency: every state change runs on one private scheduler thread ("jdy-registration");
 * jetcd callbacks and the lease's loss reports hop onto it. Each registration attempt has an epoch;
 * callbacks of an older epoch are ignored. {@link #state()}, {@link #leaseId()}, {@link
 * #lastError()} and {@link #started()} may be read from any thread.
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
  private ByteSequence registeredValue;
  private long heldSince;
  private Duration heldPatience = Duration.ZERO;
  private ScheduledFuture<?> retry;
  private final CompletableFuture<Void> started = new CompletableFuture<>();

  /** One attempt's result: the granted lease, the value put, and the holder when someone else's. */
  private record Attempt(KeptAliveLease lease, ByteSequence value, Holder holder) {}

  /** Another instance's entry: its lease (0 = none), its value, its lease's remaining TTL. */
  private record Holder(long lease, String value, Duration remaining) {}

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

  /**
   * Completes once start-up may go on: when the key is first put, or when an attempt failed for a
   * reason other than a held key (registering then goes on in the background). Completes
   * exceptionally with {@link KeyHeldException}, and the registrar stops, when another instance
   * holds the key under a lease that stays alive past its remaining TTL (a crashed predecessor's
   * key is waited out). Also completes when the registrar is deregistered first.
   */
  public CompletableFuture<Void> started() {
    return started;
  }

  private void attempt() {
    if (state == State.STOPPED) {
      return;
    }
    long myEpoch = ++epoch;
    ByteSequence mine = ByteSequence.from(value.get(), StandardCharsets.UTF_8);
    long previousLease = leaseId;
    KeptAliveLease.grant(client, ttl, operationTimeout, executor, reason -> lost(myEpoch, reason))
        .thenCompose(
            lease ->
                putIfAbsentOrOurs(lease.id(), mine, previousLease)
                    .handle(
                        (holder, error) -> {
                          if (error != null) {
                            lease.close();
                            throw new IllegalStateException("put failed", error);
                          }
                          if (holder.isPresent()) {
                            lease.close();
                          }
                          return new Attempt(lease, mine, holder.orElse(null));
                        }))
        .whenCompleteAsync((done, error) -> registered(myEpoch, done, error), executor);
  }

  /**
   * Puts the key under {@code leaseId} if it is absent, or if it is this process's own: still
   * attached to {@code previousLease} (the lease this registrar last registered with, lost here but
   * maybe not yet in etcd) or holding {@code mine} (the same record, startedAt included). Completes
   * with the other instance's entry when someone else holds the key, empty when the key was put.
   */
  private CompletableFuture<Optional<Holder>> putIfAbsentOrOurs(
      long leaseId, ByteSequence mine, long previousLease) {
    long timeoutMs = operationTimeout.toMillis();
    PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
    return client
        .getKVClient()
        .txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
        .Then(Op.put(key, mine, withLease))
        .Else(Op.get(key, GetOption.DEFAULT))
        .commit()
        .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
        .thenCompose(
            txn -> {
              if (txn.isSucceeded()) {
                return CompletableFuture.completedFuture(Optional.<Holder>empty());
              }
              List<KeyValue> found = txn.getGetResponses().get(0).getKvs();
              if (found.isEmpty()) {
                throw new IllegalStateException("the key was deleted while putting it");
              }
              KeyValue held = found.get(0);
              boolean ours =
                  (previousLease != 0 && held.getLease() == previousLease)
                      || held.getValue().equals(mine);
              if (ours) {
                return client
                    .getKVClient()
                    .txn()
                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(held.getModRevision())))
                    .Then(Op.put(key, mine, withLease))
                    .commit()
                    .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                    .thenApply(
                        taken -> {
                          if (!taken.isSucceeded()) {
                            throw new IllegalStateException("the key changed while taking it over");
                          }
                          return Optional.<Holder>empty();
                        });
              }
              return remainingTtl(held.getLease())
                  .thenApply(
                      remaining ->
                          Optional.of(
                              new Holder(
                                  held.getLease(),
                                  held.getValue().toString(StandardCharsets.UTF_8),
                                  remaining)));
            });
  }

  /** The remaining TTL of {@code lease}; zero for no lease; our own TTL when etcd cannot tell. */
  private CompletableFuture<Duration> remainingTtl(long lease) {
    if (lease == 0) {
      return CompletableFuture.completedFuture(Duration.ZERO);
    }
    return client
        .getLeaseClient()
        .timeToLive(lease, LeaseOption.DEFAULT)
        .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (r, error) ->
                error != null ? ttl : Duration.ofSeconds(Math.max(0, r == null ? 0 : r.getTTL())));
  }

  private void registered(long myEpoch, Attempt done, Throwable error) {
    KeptAliveLease granted = done == null ? null : done.lease();
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
        started.complete(null);
        return;
      }
      retryLater("registration failed: " + KeptAliveLease.rootMessage(error));
      started.complete(null);
      return;
    }
    if (done.holder() != null) {
      held(done.holder());
      return;
    }
    heldSince = 0;
    if (granted.ended()) {
      // lost between grant and put: its loss report finds us not registered and is ignored
      granted.close();
      retryLater("lease " + Long.toHexString(granted.id()) + " lost while registering");
      return;
    }
    KeptAliveLease previous = lease;
    lease = granted;
    leaseId = granted.id();
    registeredValue = done.value();
    failures = 0;
    lastError = "";
    changeState(State.REGISTERED);
    log.info("registered {} with lease {} (ttl {})", key(), Long.toHexString(leaseId), ttl);
    started.complete(null);
    if (previous != null) {
      previous.close(); // lost already; the key now hangs on the new lease
    }
  }

  /**
   * Another instance holds the key. While start-up waits, the holder's lease is waited out (a
   * crashed predecessor's key expires within its remaining TTL); past that the holder is alive and
   * the registrar gives up. After start-up it retries with backoff and never overwrites the key.
   */
  private void held(Holder holder) {
    String reason =
        key()
            + " is held by another instance (lease "
            + Long.toHexString(holder.lease())
            + ": "
            + holder.value()
            + ")";
    if (started.isDone()) {
      log.error("{}; not overwriting it", reason);
      retryLater(reason);
      return;
    }
    long now = System.nanoTime();
    if (heldSince == 0) {
      heldSince = now;
      heldPatience = holder.remaining().plus(operationTimeout).plusSeconds(1);
    }
    if (now - heldSince > heldPatience.toNanos()) {
      lastError = reason;
      changeState(State.STOPPED);
      log.error("{}, alive for longer than its lease's remaining TTL; not registering", reason);
      started.completeExceptionally(new KeyHeldException(key(), reason));
      return;
    }
    retryLater(reason + "; waiting up to " + heldPatience.toMillis() + " ms for it to expire");
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
    started.complete(null);
    CompletableFuture<TxnResponse> delete;
    try {
      // only while it still holds this process's record: after a lost lease another instance
      // may have registered under the same key
      delete =
          current == null
              ? CompletableFuture.completedFuture(null)
              : client
                  .getKVClient()
                  .txn()
                  .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(registeredValue)))
                  .Then(Op.delete(key, DeleteOption.DEFAULT))
                  .commit()
                  .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      delete = CompletableFuture.failedFuture(e);
    }
    delete
        .handle(
            (r, error) -> {
              if (error != null) {
                log.warn("deleting {} failed: {}", key(), KeptAliveLease.rootMessage(error));
              } else if (r != null && r.isSucceeded()) {
                log.info("deregistered {}", key());
              } else if (r != null) {
                log.info("{} holds another instance's record now: left alone", key());
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
