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
import io.jindouyun.ipconfig.ranking.Instance;
import io.jindouyun.ipconfig.ranking.OverrideParser;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.ranking.RoutingOverride;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Keeps {@link RankingState} in step with etcd's {@code instances/}, {@code metrics/} and {@code
 * overrides/} prefixes.
 *
 * <p>Protocol (the jetcd resume rule): read all three prefixes at one revision R (the first read
 * fixes R, the others use {@code withRevision(R)}), replace the state, then watch each prefix from
 * R + 1 with progress notifications (so a quiet prefix still learns the current revision). Each
 * watcher remembers the last revision it saw. A watch cancelled because its revision was compacted,
 * any other watch error, or a failed probe while connected leads to a full resync; while etcd is
 * unreachable the watcher retries with exponential backoff (probe interval doubling up to {@code
 * maxBackoff}) and reports {@link #isStale()} so the list is served with {@code stale: true}.
 *
 * <p>A record that cannot be decoded or holds a bad value is skipped and counted ({@code
 * ipconfig.records.rejected}); the last good value of that key stays. An invalid override is logged
 * and counted ({@code ipconfig.overrides.rejected}); the previous override stays.
 *
 * <p>Threads: one scheduler thread ({@code ipconfig-etcd}) runs resyncs, probes and retries, and
 * owns the watcher list; jetcd's callback threads apply events straight to the state (which is
 * lock-guarded) and hand errors to the scheduler. Events of a superseded watcher generation are
 * dropped. Timers: one fixed-delay probe plus at most one queued resync.
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
   */
  public record Settings(
      String root, Duration requestTimeout, Duration probeInterval, Duration maxBackoff) {}

  private final Client client;
  private final Settings settings;
  private final RankingState state;
  private final RecordDecoder decoder;
  private final OverrideParser overrideParser;
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
  private final Counter rejectedInstances;
  private final Counter rejectedMetrics;

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
      JsonMapper mapper,
      OverrideParser overrideParser,
      MeterRegistry registry,
      Runnable onStaleChange) {
    this.client = client;
    this.settings = settings;
    this.state = state;
    this.decoder = new RecordDecoder(mapper);
    this.overrideParser = overrideParser;
    this.registry = registry;
    this.onStaleChange = onStaleChange;
    this.prefixes =
        new String[] {
          settings.root() + "instances/",
          settings.root() + "metrics/",
          settings.root() + "overrides/"
        };
    rejectedInstances = rejectedCounter("instance");
    rejectedMetrics = rejectedCounter("metrics");
    Gauge.builder("ipconfig.etcd.connected", this, w -> w.connected ? 1 : 0)
        .description("1 while etcd is reachable and watched")
        .register(registry);
  }

  private Counter rejectedCounter(String kind) {
    return Counter.builder("ipconfig.records.rejected")
        .description("etcd records skipped because they could not be decoded or were invalid")
        .tag("kind", kind)
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
      long backoff =
          Math.min(
              settings.maxBackoff().toMillis(),
              settings.probeInterval().toMillis() << Math.min(failures - 1, 16));
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

    List<Instance> all = new ArrayList<>();
    for (KeyValue kv : instances.getKvs()) {
      String rest = rest(kv, INSTANCES);
      try {
        all.add(decoder.instance(RecordDecoder.keyParts(rest), value(kv)));
      } catch (BadRecordException e) {
        rejectedInstances.increment();
        log.debug("skipping instance record {}: {}", rest, e.getMessage());
        keepPrevious(rest).ifPresent(all::add);
      }
    }
    Map<String, RoutingOverride> valid = new HashMap<>();
    Set<String> keep = new HashSet<>();
    for (KeyValue kv : overrides.getKvs()) {
      String service = rest(kv, OVERRIDES);
      try {
        valid.put(service, overrideParser.parse(value(kv)));
      } catch (OverrideParser.InvalidOverrideException e) {
        rejectOverride(service, e.getMessage());
        keep.add(service);
      }
    }
    state.replaceAll(all, valid, keep);
    long wallNow = System.currentTimeMillis();
    for (KeyValue kv : metrics.getKvs()) {
      applyMetrics(kv, wallNow);
    }
    return revision;
  }

  private Optional<Instance> keepPrevious(String rest) {
    try {
      RecordDecoder.KeyParts key = RecordDecoder.keyParts(rest);
      return state.instance(key.service(), key.id());
    } catch (BadRecordException e) {
      return Optional.empty();
    }
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
      KeyValue kv = event.getKeyValue();
      revision = Math.max(revision, kv.getModRevision());
      try {
        apply(index, event.getEventType(), kv);
      } catch (RuntimeException e) {
        log.warn("failed to apply {} of {}", event.getEventType(), kv.getKey(), e);
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

  private void apply(int index, WatchEvent.EventType type, KeyValue kv) {
    String rest = rest(kv, index);
    boolean put = type == WatchEvent.EventType.PUT;
    switch (index) {
      case INSTANCES -> {
        try {
          RecordDecoder.KeyParts key = RecordDecoder.keyParts(rest);
          if (!put) {
            state.removeInstance(key.service(), key.id());
          } else if (state.putInstance(decoder.instance(key, value(kv)))
              == RankingState.Outcome.OVER_LIMIT) {
            rejectedInstances.increment();
            log.warn("instance {} rejected: too many instances in its service", rest);
          }
        } catch (BadRecordException e) {
          rejectedInstances.increment();
          log.debug("skipping instance record {}: {}", rest, e.getMessage());
        }
      }
      case METRICS -> {
        if (put) {
          applyMetrics(kv, 0);
        }
      }
      default -> {
        if (!put) {
          state.putOverride(rest, RoutingOverride.NONE);
          return;
        }
        try {
          state.putOverride(rest, overrideParser.parse(value(kv)));
        } catch (OverrideParser.InvalidOverrideException e) {
          rejectOverride(rest, e.getMessage());
        }
      }
    }
  }

  /**
   * Applies a metrics record. {@code wallNow} is 0 for a record just written (watch event); for one
   * read back by a resync it is the wall clock, and the snapshot's age by its own timestamp is
   * taken into account so that a left-over snapshot does not pass for fresh.
   */
  private void applyMetrics(KeyValue kv, long wallNow) {
    String rest = rest(kv, METRICS);
    try {
      RecordDecoder.KeyParts key = RecordDecoder.keyParts(rest);
      MetricsSample sample = decoder.metrics(key, value(kv));
      long age = wallNow == 0 ? 0 : wallNow - sample.timestampMillis();
      if (state.putMetrics(key.service(), key.id(), sample, age)
          == RankingState.Outcome.OVER_LIMIT) {
        rejectedMetrics.increment();
      }
    } catch (BadRecordException e) {
      rejectedMetrics.increment();
      log.debug("skipping metrics record {}: {}", rest, e.getMessage());
    }
  }

  private void rejectOverride(String service, String reason) {
    log.warn("override of '{}' rejected, the previous one stays: {}", service, reason);
    Counter.builder("ipconfig.overrides.rejected")
        .description("operator overrides rejected as invalid")
        .tag("service", state.isConfigured(service) ? service : "other")
        .register(registry)
        .increment();
  }

  private void setConnected(boolean now) {
    if (connected != now) {
      connected = now;
      onStaleChange.run();
    }
  }

  private String rest(KeyValue kv, int index) {
    return kv.getKey().toString(StandardCharsets.UTF_8).substring(prefixes[index].length());
  }

  private static String value(KeyValue kv) {
    return kv.getValue().toString(StandardCharsets.UTF_8);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
