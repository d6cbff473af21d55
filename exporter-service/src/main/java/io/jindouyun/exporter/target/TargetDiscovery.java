package io.jindouyun.exporter.target;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import io.jindouyun.contract.BadRecordException;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.ServiceInstance;
import io.jindouyun.support.backoff.Backoff;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the set of targets: the registered instances under {@code /jindouyun/instances/} ({@link
 * EtcdKeys}) plus the static targets from config.
 *
 * <p>Reads the prefix at a revision, then watches from revision + 1. On a watch error (compaction,
 * a broken stream, etcd gone) it drops the watch and does a full resync — read again, watch again —
 * after a jittered backoff. A registration it cannot parse is logged and ignored; an earlier good
 * value of that key is kept. At most {@code maxTargets} targets; more are ignored with a warning.
 *
 * <p>Concurrency: all state lives on the given single-threaded executor; etcd callbacks hop onto
 * it. The sink is called on that executor with an immutable map {@code service/id → Target}
 * whenever the set changes.
 */
public final class TargetDiscovery {

  private static final Logger log = LoggerFactory.getLogger(TargetDiscovery.class);
  private static final String INSTANCES = EtcdKeys.DEFAULT.instancesPrefix();
  private static final ByteSequence PREFIX = ByteSequence.from(INSTANCES, UTF_8);

  private final Client client;
  private final Map<String, Target> statics;
  private final Consumer<Map<String, Target>> sink;
  private final ScheduledExecutorService executor;
  private final Backoff backoff;
  private final Duration operationTimeout;
  private final int maxTargets;

  // executor thread only
  private final Map<String, Target> registered = new LinkedHashMap<>();
  private Map<String, Target> published = Map.of();
  private Watch.Watcher watcher;
  private ScheduledFuture<?> resync;
  private long epoch;
  private int failures;
  private boolean closed;

  public TargetDiscovery(
      Client client,
      List<Target> statics,
      Consumer<Map<String, Target>> sink,
      ScheduledExecutorService executor,
      Backoff backoff,
      Duration operationTimeout,
      int maxTargets) {
    this.client = client;
    Map<String, Target> s = new LinkedHashMap<>();
    statics.forEach(t -> s.put(t.key(), t));
    this.statics = Map.copyOf(s);
    this.sink = sink;
    this.executor = executor;
    this.backoff = backoff;
    this.operationTimeout = operationTimeout;
    this.maxTargets = maxTargets;
  }

  /** Starts reading and watching (asynchronously). */
  public void start() {
    executor.execute(
        () -> {
          publish();
          resync();
        });
  }

  /** Stops watching. */
  public void close() {
    executor.execute(
        () -> {
          closed = true;
          epoch++;
          closeWatcher();
          if (resync != null) {
            resync.cancel(false);
          }
        });
  }

  private void resync() {
    if (closed) {
      return;
    }
    long myEpoch = ++epoch;
    closeWatcher();
    client
        .getKVClient()
        .get(PREFIX, GetOption.builder().isPrefix(true).build())
        .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .whenCompleteAsync((response, error) -> loaded(myEpoch, response, error), executor);
  }

  private void loaded(long myEpoch, GetResponse response, Throwable error) {
    if (myEpoch != epoch || closed) {
      return;
    }
    if (error != null) {
      failed(myEpoch, "reading " + INSTANCES + " failed: " + error);
      return;
    }
    Map<String, Target> previous = Map.copyOf(registered);
    registered.clear();
    for (KeyValue kv : response.getKvs()) {
      put(kv, previous);
    }
    long revision = response.getHeader().getRevision();
    WatchOption option = WatchOption.builder().isPrefix(true).withRevision(revision + 1).build();
    watcher =
        client
            .getWatchClient()
            .watch(
                PREFIX,
                option,
                Watch.listener(
                    r -> executor.execute(() -> changed(myEpoch, r)),
                    e -> executor.execute(() -> failed(myEpoch, "watch failed: " + e)),
                    () -> executor.execute(() -> failed(myEpoch, "watch ended"))));
    log.info(
        "targets: {} registered at revision {}, {} static",
        registered.size(),
        revision,
        statics.size());
    publish();
  }

  private void changed(long myEpoch, WatchResponse response) {
    if (myEpoch != epoch || closed) {
      return;
    }
    failures = 0;
    for (WatchEvent event : response.getEvents()) {
      KeyValue kv = event.getKeyValue();
      if (event.getEventType() == WatchEvent.EventType.PUT) {
        put(kv, registered);
      } else if (event.getEventType() == WatchEvent.EventType.DELETE) {
        Optional<String> key =
            EtcdKeys.DEFAULT.instanceOf(kv.getKey().toString(UTF_8)).map(ServiceInstance::toString);
        if (key.isPresent() && registered.remove(key.get()) != null) {
          log.info("target {} deregistered", key.get());
        }
      }
    }
    publish();
  }

  private void put(KeyValue kv, Map<String, Target> fallback) {
    String key = kv.getKey().toString(UTF_8);
    Optional<ServiceInstance> instance = EtcdKeys.DEFAULT.instanceOf(key);
    if (instance.isEmpty()) {
      return;
    }
    String targetKey = instance.get().toString();
    try {
      Target target = InstanceParser.parse(instance.get(), kv.getValue().toString(UTF_8));
      if (!registered.containsKey(targetKey) && registered.size() >= maxTargets) {
        log.warn("ignoring target {}: already {} targets (max-targets)", targetKey, maxTargets);
        return;
      }
      registered.put(targetKey, target);
    } catch (BadRecordException e) {
      Target kept = fallback.get(targetKey);
      log.warn(
          "ignoring bad registration {}: {}{}",
          key,
          e.getMessage(),
          kept == null ? "" : "; keeping " + kept);
      if (kept != null) {
        registered.put(targetKey, kept);
      }
    }
  }

  private void failed(long myEpoch, String reason) {
    if (myEpoch != epoch || closed) {
      return;
    }
    epoch++;
    closeWatcher();
    Duration delay = backoff.delay(failures++);
    log.warn("{}; full resync in {} ms", reason, delay.toMillis());
    resync = executor.schedule(this::resync, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void publish() {
    Map<String, Target> all = new LinkedHashMap<>(statics);
    all.putAll(registered);
    Map<String, Target> next = Map.copyOf(all);
    if (!next.equals(published)) {
      published = next;
      sink.accept(next);
    }
  }

  private void closeWatcher() {
    if (watcher != null) {
      try {
        watcher.close();
      } catch (RuntimeException e) {
        log.debug("closing watch failed: {}", e.toString());
      }
      watcher = null;
    }
  }
}
