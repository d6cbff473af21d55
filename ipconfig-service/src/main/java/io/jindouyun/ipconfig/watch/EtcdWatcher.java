package io.jindouyun.ipconfig.watch;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.ipconfig.ranking.OverrideParser;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@link RankingState} in step with etcd's {@code instances/}, {@code metrics/} and {@code
 * overrides/} prefixes: the transport. It reads and watches; {@link EtcdStateApplier} decodes what
 * it sees and applies it to the state.
 *
 * <p>Protocol (the jetcd resume rule): read all three prefixes at one revision R (the first read
 * fixes R, the others use {@code withRevision(R)}), replace the state, then watch each prefix from
 * R + 1 with progress notifications (so a quiet prefix still learns the current revision). Each
 * watcher remembers the last revision it saw. A watch cancelled because its revision was compacted,
 * any other watch error, or a failed probe while connected leads to a full resync; while etcd is
 * unreachable the watcher retries with exponential backoff (probe interval doubling up to {@code
 * maxBackoff}) and reports {@link #isStale()} so the list is served with {@code stale: true}.
 *
 * <p>Meters: {@code ipconfig.etcd.connected} (1 while etcd is reachable and watched) and {@code
 * ipconfig.watch.restarts} (tag {@code reason}: {@code initial}, {@code reconnect}, {@code
 * compacted}, {@code watch-error}); the applier counts rejected records and overrides.
 *
 * <p>Threads: one scheduler thread ({@code ipconfig-etcd}) runs resyncs, probes and retries, and
 * owns the watcher list; jetcd's callback threads hand events straight to the applier (the state is
 * lock-guarded) and errors to the scheduler. Events of a superseded watcher generation are dropped.
 * Timers: one fixed-delay probe plus at most one queued resync.
 */
public final class EtcdWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EtcdWatcher.class);
  private static final int INSTANCES = 0;
  private static final int METRICS = 1;
  private static final int OVERRIDES = 2;

  /**
   * @param root key root, e.g. {@code /jindouyun/}
   * @param requestTimeout bound on each etcd read and probe
   * @param probeInterval how often etcd is probed while connected (and the first retry delay)
   * @param maxBackoff longest delay between reconnect attempts
   * @param instanceNetworks the networks an instance record's host must be in
   */
  public record Settings(
      String root,
      Duration requestTimeout,
      Duration probeInterval,
      Duration maxBackoff,
      HostNetworks instanceNetworks) {}

  private final Client client;
  private final Settings settings;
  private final EtcdStateApplier applier;
  private final Runnable onStaleChange;
  private final MeterRegistry registry;
  private final String[] prefixes;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "ipconfig-etcd");
            t.setDaemon(true);
            return t;
          });
  private final AtomicBoolean resyncQueued = new AtomicBoolean();
  private final AtomicLong failedGeneration = new AtomicLong(-1);
  private final AtomicLongArray revisions = new AtomicLongArray(3);

  // Owned by the scheduler thread.
  private final List<Watch.Watcher> watchers = new ArrayList<>();
  private boolean suspended;
  private int failures;
  private long nextAttemptNanos;

  private volatile long generation;
  private volatile boolean connected;

  /**
   * @param onStaleChange runs when {@link #isStale()} flips; must not block
   */
  public EtcdWatcher(
      Client client,
      Settings settings,
      RankingState state,
      OverrideParser overrideParser,
      MeterRegistry registry,
      Runnable onStaleChange) {
    this.client = client;
    this.settings = settings;
    this.registry = registry;
    this.onStaleChange = onStaleChange;
    EtcdKeys keys = new EtcdKeys(settings.root());
    this.prefixes =
        new String[] {keys.instancesPrefix(), keys.metricsPrefix(), keys.overridesPrefix()};
    this.applier =
        new EtcdStateApplier(
            keys,
            state,
            overrideParser,
            registry,
            System::currentTimeMillis,
            settings.instanceNetworks());
    Gauge.builder("ipconfig.etcd.connected", this, w -> w.connected ? 1 : 0)
        .description("1 while etcd is reachable and watched")
        .register(registry);
  }

  /** Starts the first sync and the probe timer. */
  public void start() {
    requestResync("initial");
    long probe = settings.probeInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::probe, probe, probe, TimeUnit.MILLISECONDS);
  }

  /** True until the first sync succeeds and whenever etcd is unreachable. */
  public boolean isStale() {
    return !connected;
  }

  /** Last revision seen on the instances, metrics and overrides watches. */
  long[] revisions() {
    return new long[] {revisions.get(0), revisions.get(1), revisions.get(2)};
  }

  /** Test hook: stops watching (keeping the revisions) so that the watcher falls behind. */
  void suspend() throws Exception {
    scheduler
        .submit(
            () -> {
              suspended = true;
              closeWatchers();
            })
        .get(settings.requestTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  /** Test hook: resumes each watch from its last revision + 1, as after a reconnect. */
  void resume() throws Exception {
    scheduler
        .submit(
            () -> {
              suspended = false;
              startWatchers();
            })
        .get(settings.requestTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    try {
      scheduler.awaitTermination(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeWatchers();
  }

  private void requestResync(String reason) {
    if (resyncQueued.compareAndSet(false, true)) {
      scheduler.execute(() -> resync(reason));
    }
  }

  private void resync(String reason) {
    resyncQueued.set(false);
    if (suspended) {
      return;
    }
    closeWatchers();
    Counter.builder("ipconfig.watch.restarts")
        .description("full reads of etcd followed by new watches, by reason")
        .tag("reason", reason)
        .register(registry)
        .increment();
    try {
      long revision = readAll();
      for (int i = 0; i < 3; i++) {
        revisions.set(i, revision);
      }
      startWatchers();
      failures = 0;
      setConnected(true);
      log.info("etcd in sync at revision {} ({})", revision, reason);
    } catch (Exception e) {
      closeWatchers();
      failures++;
      long backoff = backoffMillis(failures);
      nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
      setConnected(false);
      log.warn(
          "etcd sync failed ({}), attempt {}, next in {} ms: {}",
          reason,
          failures,
          backoff,
          e.toString());
    }
  }

  private void probe() {
    if (suspended) {
      return;
    }
    if (!connected) {
      if (System.nanoTime() - nextAttemptNanos >= 0) {
        resync("reconnect");
      }
      return;
    }
    try {
      client
          .getKVClient()
          .get(bytes(settings.root() + "probe"), GetOption.builder().withCountOnly(true).build())
          .get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      log.warn("etcd probe failed, serving the last list as stale: {}", e.toString());
      closeWatchers();
      failures = 1;
      nextAttemptNanos = System.nanoTime();
      setConnected(false);
    }
  }

  private long readAll() throws Exception {
    GetResponse instances = get(prefixes[INSTANCES], GetOption.builder().isPrefix(true).build());
    long revision = instances.getHeader().getRevision();
    GetOption atRevision = GetOption.builder().isPrefix(true).withRevision(revision).build();
    GetResponse metrics = get(prefixes[METRICS], atRevision);
    GetResponse overrides = get(prefixes[OVERRIDES], atRevision);
    applier.load(entries(instances), entries(metrics), entries(overrides));
    return revision;
  }

  private GetResponse get(String prefix, GetOption option) throws Exception {
    CompletableFuture<GetResponse> f = client.getKVClient().get(bytes(prefix), option);
    try {
      return f.get(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } finally {
      f.cancel(true);
    }
  }

  private void startWatchers() {
    long gen = ++generation;
    for (int i = 0; i < 3; i++) {
      final int index = i;
      WatchOption option =
          WatchOption.builder()
              .isPrefix(true)
              .withRevision(revisions.get(i) + 1)
              .withProgressNotify(true)
              .build();
      watchers.add(
          client
              .getWatchClient()
              .watch(
                  bytes(prefixes[i]),
                  option,
                  Watch.listener(
                      response -> onNext(gen, index, response), error -> onError(gen, error))));
    }
  }

  private void closeWatchers() {
    generation++;
    for (Watch.Watcher w : watchers) {
      try {
        w.close();
      } catch (RuntimeException e) {
        log.debug("closing a watcher failed: {}", e.toString());
      }
    }
    watchers.clear();
  }

  private void onNext(long gen, int index, WatchResponse response) {
    if (gen != generation) {
      return;
    }
    long revision = response.isProgressNotify() ? response.getHeader().getRevision() : 0;
    for (WatchEvent event : response.getEvents()) {
      EtcdEntry entry = entry(event.getKeyValue());
      revision = Math.max(revision, entry.modRevision());
      try {
        if (event.getEventType() == WatchEvent.EventType.PUT) {
          applier.put(entry);
        } else {
          applier.delete(entry.key());
        }
      } catch (RuntimeException e) {
        log.warn("failed to apply {} of {}", event.getEventType(), entry.key(), e);
      }
    }
    final long seen = revision;
    revisions.accumulateAndGet(index, seen, Math::max);
  }

  private void onError(long gen, Throwable error) {
    // The three watchers of a generation often fail together: one resync per generation.
    if (gen != generation || failedGeneration.getAndSet(gen) == gen) {
      return;
    }
    if (error instanceof CompactedException compacted) {
      log.info(
          "watch fell behind the compaction at revision {}: full resync",
          compacted.getCompactedRevision());
      requestResync("compacted");
    } else {
      log.warn("etcd watch failed: {}", error.toString());
      requestResync("watch-error");
    }
  }

  private void setConnected(boolean now) {
    if (connected != now) {
      connected = now;
      onStaleChange.run();
    }
  }

  /** Delay before reconnect attempt {@code failures + 1}: the probe interval, doubling, capped. */
  private long backoffMillis(int failures) {
    return Math.min(
        settings.maxBackoff().toMillis(),
        settings.probeInterval().toMillis() << Math.min(failures - 1, 16));
  }

  private static List<EtcdEntry> entries(GetResponse response) {
    List<EtcdEntry> out = new ArrayList<>(response.getKvs().size());
    for (KeyValue kv : response.getKvs()) {
      out.add(entry(kv));
    }
    return out;
  }

  private static EtcdEntry entry(KeyValue kv) {
    return new EtcdEntry(
        kv.getKey().toString(StandardCharsets.UTF_8),
        kv.getValue().toString(StandardCharsets.UTF_8),
        kv.getModRevision());
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
