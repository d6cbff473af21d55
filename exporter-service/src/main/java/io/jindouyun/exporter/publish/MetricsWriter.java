package io.jindouyun.exporter.publish;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.MetricsJson;
import io.jindouyun.exporter.pull.SnapshotStore;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tick, while this exporter leads, writes each target's newest snapshot ({@link MetricsJson})
 * to {@code /jindouyun/metrics/<service>/<id>} under the leader's lease and deletes the keys of
 * targets that are gone. A tick's writes go into etcd transactions of at most {@code maxOpsPerTxn}
 * operations (or, with batching off, one request per key). A snapshot already written is not
 * written again. A failed transaction is retried by the next tick. At most one tick's requests are
 * outstanding: a tick that comes while they are in flight runs when they complete. {@link #flush()}
 * writes without waiting for the next tick, so the keys of removed targets go at once, not up to an
 * interval later.
 *
 * <p>Concurrency: {@link #tick()} runs on the shared single-threaded executor; completions hop back
 * onto it.
 */
public final class MetricsWriter {

  private static final Logger log = LoggerFactory.getLogger(MetricsWriter.class);

  private final Client client;
  private final SnapshotStore store;
  private final LongSupplier leaderLease;
  private final ScheduledExecutorService executor;
  private final int maxOpsPerTxn;
  private final boolean batch;
  private final Duration operationTimeout;
  private final Counter requests;
  private final Counter operations;
  private final Counter failures;

  // executor thread only
  private final Map<String, MetricsSnapshot> written = new HashMap<>();
  private long writtenLease;
  private boolean inFlight;
  private boolean tickWhenDone;

  public MetricsWriter(
      Client client,
      SnapshotStore store,
      LongSupplier leaderLease,
      ScheduledExecutorService executor,
      int maxOpsPerTxn,
      boolean batch,
      Duration operationTimeout,
      MeterRegistry registry) {
    this.client = client;
    this.store = store;
    this.leaderLease = leaderLease;
    this.executor = executor;
    this.maxOpsPerTxn = maxOpsPerTxn;
    this.batch = batch;
    this.operationTimeout = operationTimeout;
    this.requests = registry.counter("jdy.exporter.etcd.requests");
    this.operations = registry.counter("jdy.exporter.etcd.operations");
    this.failures = registry.counter("jdy.exporter.etcd.failures");
    registry.gauge("jdy.exporter.leader", this, w -> w.leaderLease.getAsLong() != 0 ? 1 : 0);
  }

  /** One write: a put of {@code snapshot}, or a delete when it is null. */
  private record Write(String key, MetricsSnapshot snapshot) {}

  /**
   * Writes now what changed since the last write, or as soon as the writes in flight complete
   * (executor thread). Errors are logged, not thrown.
   */
  public void flush() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.error("metrics write failed", e);
    }
  }

  /** Writes what changed since the last tick (executor thread). */
  public void tick() {
    long lease = leaderLease.getAsLong();
    if (lease == 0) {
      written.clear();
      writtenLease = 0;
      return;
    }
    if (inFlight) {
      tickWhenDone = true;
      return;
    }
    if (lease != writtenLease) {
      written.clear(); // keys of an earlier lease are gone or going: write everything again
      writtenLease = lease;
    }
    List<Write> writes = new ArrayList<>();
    Set<String> present = new HashSet<>();
    for (SnapshotStore.Latest latest : store.all()) {
      String key = latest.target().key();
      present.add(key);
      if (latest.snapshot() != null && latest.snapshot() != written.get(key)) {
        writes.add(new Write(key, latest.snapshot()));
      }
    }
    for (String key : written.keySet()) {
      if (!present.contains(key)) {
        writes.add(new Write(key, null));
      }
    }
    if (writes.isEmpty()) {
      return;
    }
    inFlight = true;
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (List<Write> slice : Batches.split(writes, batch ? maxOpsPerTxn : 1)) {
      sent.add(send(slice, lease));
    }
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new))
        .whenCompleteAsync(
            (r, e) -> {
              inFlight = false;
              if (tickWhenDone) {
                tickWhenDone = false;
                flush();
              }
            },
            executor);
  }

  private CompletableFuture<Void> send(List<Write> slice, long lease) {
    CompletableFuture<?> request;
    if (slice.size() == 1 && !batch) {
      Write w = slice.get(0);
      request =
          w.snapshot() == null
              ? client.getKVClient().delete(key(w.key()))
              : client
                  .getKVClient()
                  .put(
                      key(w.key()),
                      value(w.snapshot()),
                      PutOption.builder().withLeaseId(lease).build());
    } else {
      Op[] ops = new Op[slice.size()];
      for (int i = 0; i < ops.length; i++) {
        Write w = slice.get(i);
        ops[i] =
            w.snapshot() == null
                ? Op.delete(key(w.key()), DeleteOption.DEFAULT)
                : Op.put(
                    key(w.key()),
                    value(w.snapshot()),
                    PutOption.builder().withLeaseId(lease).build());
      }
      request = client.getKVClient().txn().Then(ops).commit();
    }
    requests.increment();
    operations.increment(slice.size());
    return request
        .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handleAsync(
            (r, error) -> {
              if (error != null) {
                failures.increment();
                log.warn("writing {} metrics keys failed: {}", slice.size(), error.toString());
                return null;
              }
              if (lease != writtenLease) {
                return null;
              }
              for (Write w : slice) {
                if (w.snapshot() == null) {
                  written.remove(w.key());
                } else {
                  written.put(w.key(), w.snapshot());
                }
              }
              return null;
            },
            executor);
  }

  private static ByteSequence key(String targetKey) {
    return ByteSequence.from(EtcdKeys.DEFAULT.metricsPrefix() + targetKey, UTF_8);
  }

  private static ByteSequence value(MetricsSnapshot snapshot) {
    return ByteSequence.from(MetricsJson.print(snapshot), UTF_8);
  }
}
