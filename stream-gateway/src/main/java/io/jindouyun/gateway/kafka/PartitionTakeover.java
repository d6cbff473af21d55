package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.jindouyun.contract.EtcdKeys;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes over the reply partitions of gateways that are gone, so their streams survive them.
 *
 * <p>It watches the claims {@code /jindouyun/replies/<n>}. When one is deleted (its gateway's lease
 * ran out after a crash, or was revoked by a drained gateway) and it held another gateway's id,
 * this gateway claims it in a transaction (put if absent, under this gateway's claim lease: one
 * gateway wins; the same transaction puts {@code /jindouyun/handovers/<gone node>} = this gateway,
 * so the gone gateway's readers are sent here from then on) unless it already holds {@code
 * maxPartitions} taken-over partitions, and starts an {@link AdoptedReader} on it. From just before
 * that transaction until the reader has caught up ({@link #catchingUp}) the gone gateway's streams
 * are not served here yet: their readers are told to come back (so a reader that sees the hand-over
 * in etcd never finds this gateway neither catching up nor holding the stream). When the reader
 * ends (no stream of it left), both keys are deleted and the partition is free again (the claim is
 * blanked before it is deleted, so the other gateways do not take a released partition for a gone
 * gateway's).
 *
 * <p>Concurrency: watch events and reader events are handled on the single {@code jdy-takeover}
 * thread; {@link #close} may be called from any thread.
 */
final class PartitionTakeover implements AutoCloseable, AdoptedReader.Events {

  private static final Logger log = LoggerFactory.getLogger(PartitionTakeover.class);

  private final Client client;
  private final PartitionClaim claim;
  private final String node;
  private final int maxPartitions;
  private final Duration timeout;
  private final BiFunction<Integer, String, AdoptedReader> readers;
  private final EtcdKeys keys = EtcdKeys.DEFAULT;
  private final Map<Integer, AdoptedReader> adopted = new ConcurrentHashMap<>();
  private final Set<String> catchingUp = ConcurrentHashMap.newKeySet();
  private final ExecutorService executor =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "jdy-takeover");
            t.setDaemon(true);
            return t;
          });
  private volatile boolean closed;
  private Watch.Watcher watcher;

  /**
   * A takeover by {@code node}, holding at most {@code maxPartitions} taken-over partitions under
   * the lease of {@code claim}; {@code readers} makes the (unstarted) reader of partition n of a
   * gone node.
   */
  PartitionTakeover(
      Client client,
      PartitionClaim claim,
      String node,
      int maxPartitions,
      Duration timeout,
      BiFunction<Integer, String, AdoptedReader> readers) {
    this.client = client;
    this.claim = claim;
    this.node = node;
    this.maxPartitions = maxPartitions;
    this.timeout = timeout;
    this.readers = readers;
  }

  /** Starts watching the claims. */
  synchronized void start() {
    WatchOption option = WatchOption.builder().isPrefix(true).withPrevKV(true).build();
    watcher =
        client
            .getWatchClient()
            .watch(
                bytes(PartitionClaim.PREFIX),
                option,
                Watch.listener(
                    response -> {
                      for (WatchEvent event : response.getEvents()) {
                        if (event.getEventType() == WatchEvent.EventType.DELETE) {
                          onDeleted(event.getKeyValue(), event.getPrevKV());
                        }
                      }
                    },
                    e -> log.warn("watching the reply partition claims failed: {}", e.toString())));
  }

  /** Partitions taken over and read now. */
  List<Integer> partitions() {
    return List.copyOf(adopted.keySet());
  }

  private void onDeleted(KeyValue kv, KeyValue prev) {
    String key = kv.getKey().toString(StandardCharsets.UTF_8);
    int n;
    try {
      n = Integer.parseInt(key.substring(PartitionClaim.PREFIX.length()));
    } catch (RuntimeException e) {
      return;
    }
    String gone = prev == null ? "" : prev.getValue().toString(StandardCharsets.UTF_8);
    if (closed || gone.isEmpty() || gone.equals(node) || n == claim.partition()) {
      return;
    }
    executor.execute(() -> takeOver(n, gone));
  }

  private void takeOver(int n, String gone) {
    if (closed || adopted.containsKey(n)) {
      return;
    }
    if (adopted.size() >= maxPartitions) {
      log.warn(
          "gateway {} is gone, but this one reads {} taken-over partitions already (the bound);"
              + " leaving reply partition {} to another",
          gone,
          adopted.size(),
          n);
      return;
    }
    // catching up before the claim can be seen: a reader that finds the hand-over in etcd must
    // find its gone gateway catching up here, never neither (which would be a 404)
    catchingUp.add(gone);
    boolean won = false;
    try {
      ByteSequence key = bytes(keys.replyKey(n));
      won =
          client
              .getKVClient()
              .txn()
              .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
              .Then(
                  Op.put(key, bytes(node), leased()),
                  Op.put(bytes(keys.handoverKey(gone)), bytes(node), leased()))
              .commit()
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
              .isSucceeded();
      if (!won) {
        log.info("reply partition {} of gone gateway {} was taken by another", n, gone);
        return;
      }
      log.info("took over reply partition {} of gone gateway {}", n, gone);
      AdoptedReader reader = readers.apply(n, gone);
      adopted.put(n, reader);
      reader.start();
    } catch (Exception e) {
      log.warn("could not take over reply partition {} of {}: {}", n, gone, e.toString());
      won = false;
    } finally {
      if (!won) {
        catchingUp.remove(gone);
      }
    }
  }

  @Override
  public void caughtUp(AdoptedReader reader) {
    catchingUp.remove(reader.goneNode());
    log.info("serving the streams of gone gateway {}", reader.goneNode());
  }

  /**
   * Whether this gateway took over the partition of {@code goneNode} and has not yet read it up to
   * the takeover: its streams are not served yet (a resume could find fewer chunks than its reader
   * saw), the reader is told to come back.
   */
  boolean catchingUp(String goneNode) {
    return catchingUp.contains(goneNode);
  }

  @Override
  public void finished(AdoptedReader reader) {
    executor.execute(
        () -> {
          adopted.remove(reader.partition(), reader);
          deleteIf(keys.handoverKey(reader.goneNode()), node);
          // blank first: the other gateways see a claim deleted that names nobody, and leave it
          if (putIf(keys.replyKey(reader.partition()), node, "")) {
            deleteIf(keys.replyKey(reader.partition()), "");
          }
        });
  }

  private boolean putIf(String k, String expected, String value) {
    ByteSequence key = bytes(k);
    try {
      return client
          .getKVClient()
          .txn()
          .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(expected))))
          .Then(Op.put(key, bytes(value), leased()))
          .commit()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
          .isSucceeded();
    } catch (Exception e) {
      log.warn("could not put {}: {}", k, e.toString());
      return false;
    }
  }

  private void deleteIf(String k, String expected) {
    ByteSequence key = bytes(k);
    try {
      client
          .getKVClient()
          .txn()
          .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(bytes(expected))))
          .Then(Op.delete(key, DeleteOption.DEFAULT))
          .commit()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("could not delete {}: {}", k, e.toString());
    }
  }

  private PutOption leased() {
    return PutOption.builder().withLeaseId(claim.leaseId()).build();
  }

  /** Stops watching and stops every reader; the keys go with the claim's lease. */
  @Override
  public synchronized void close() {
    closed = true;
    if (watcher != null) {
      watcher.close();
    }
    executor.shutdownNow();
    for (AdoptedReader reader : List.copyOf(adopted.values())) {
      reader.stop();
    }
    adopted.clear();
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
