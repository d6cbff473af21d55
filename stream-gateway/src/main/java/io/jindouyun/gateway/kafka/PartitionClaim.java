package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.LeaseOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.etcd.KeptAliveLease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims one partition of the reply topic in etcd: the first free key {@code
 * /jindouyun/replies/<n>} for n = 0..partitions-1 is put, if absent, in a transaction, attached to
 * this gateway's {@link KeptAliveLease}. A key that already holds this node's id under another
 * lease is either a crashed predecessor's (its lease runs out within its TTL) or a live gateway's
 * with the same id (it is kept alive): the claim waits, at most the holder's remaining TTL plus two
 * seconds, for the key to go, then claims that same partition; a key still held then fails the
 * claim (the id is taken), and is left alone. When the lease is lost (etcd unreachable for longer
 * than the TTL, or the lease revoked from outside) the loss is logged and the same partition is
 * claimed again under a new lease, retried with backoff until it succeeds or the claim is closed;
 * the gateway keeps reading its partition meanwhile. Closing revokes the lease, which frees the key
 * at once.
 *
 * <p>Concurrency: {@link #claim} runs once at startup on the starting thread; loss handling and
 * re-claims run on the claim's own single {@code jdy-partition-claim} thread, and {@link #close}
 * may be called from any thread.
 */
final class PartitionClaim implements AutoCloseable {

  static final String PREFIX = EtcdKeys.DEFAULT.repliesPrefix();
  private static final Logger log = LoggerFactory.getLogger(PartitionClaim.class);
  private static final Backoff RECLAIM_BACKOFF =
      new Backoff(Duration.ofMillis(200), Duration.ofSeconds(5));

  private final Client client;
  private final ScheduledExecutorService executor;
  private String node;
  private Duration leaseTtl;
  private Duration timeout;
  private volatile int partition = -1;
  private volatile KeptAliveLease lease;
  private volatile boolean closed;
  // true while the key is ours under a live lease: from the claim until a loss, again after a
  // re-claim
  private volatile boolean held;

  /** A claim through the process's etcd {@code client} (left open on close). */
  PartitionClaim(Client client) {
    this.client = client;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "jdy-partition-claim");
              t.setDaemon(true);
              return t;
            });
  }

  /** Claims a partition for {@code node}; throws if all {@code partitions} are taken. */
  int claim(String node, int partitions, Duration leaseTtl, Duration timeout) throws Exception {
    this.node = node;
    this.leaseTtl = Duration.ofSeconds(Math.max(1, leaseTtl.toSeconds()));
    this.timeout = timeout;
    lease = grant();
    for (int n = 0; n < partitions; n++) {
      if (putIfAbsent(n, lease.id()) || (awaitReleaseOfOwn(n) && putIfAbsent(n, lease.id()))) {
        partition = n;
        held = true;
        return n;
      }
    }
    throw new IllegalStateException(
        "all " + partitions + " reply partitions are claimed in etcd under " + PREFIX);
  }

  /** The claimed partition, or -1 before {@link #claim} succeeded. */
  int partition() {
    return partition;
  }

  /**
   * Whether the partition's key is this gateway's now: false before the claim, from a lost lease
   * until the partition is claimed again, and after close.
   */
  boolean held() {
    return held && !closed;
  }

  /** The id of the lease the claim is held under now (0 before the first claim). */
  long leaseId() {
    KeptAliveLease current = lease;
    return current == null ? 0 : current.id();
  }

  private KeptAliveLease grant() throws Exception {
    return KeptAliveLease.grant(client, leaseTtl, timeout, executor, this::onLost)
        .get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  /** Puts {@code PREFIX + n} under {@code leaseId} if the key is free. */
  private boolean putIfAbsent(int n, long leaseId) throws Exception {
    return putIf(n, leaseId, CmpTarget.version(0));
  }

  /**
   * Puts {@code PREFIX + n} under {@code leaseId} if the key is free or holds this node's id (the
   * same process re-claiming its partition after its lease was lost).
   */
  private boolean put(int n, long leaseId) throws Exception {
    return putIfAbsent(n, leaseId) || putIf(n, leaseId, CmpTarget.value(bytes(node)));
  }

  private boolean putIf(int n, long leaseId, CmpTarget<?> expected) throws Exception {
    ByteSequence key = bytes(PREFIX + n);
    return client
        .getKVClient()
        .txn()
        .If(new Cmp(key, Cmp.Op.EQUAL, expected))
        .Then(Op.put(key, bytes(node), PutOption.builder().withLeaseId(leaseId).build()))
        .commit()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .isSucceeded();
  }

  /**
   * When {@code PREFIX + n} holds this node's id, waits until it is deleted (its lease ran out) and
   * answers true; answers false at once when it holds another node's id.
   *
   * @throws IllegalStateException when the key is still held after the holder's remaining TTL plus
   *     two seconds: a live gateway has this id
   */
  private boolean awaitReleaseOfOwn(int n) throws Exception {
    long ms = timeout.toMillis();
    ByteSequence key = bytes(PREFIX + n);
    GetResponse found = client.getKVClient().get(key).get(ms, TimeUnit.MILLISECONDS);
    if (found.getKvs().isEmpty()) {
      return true;
    }
    KeyValue held = found.getKvs().get(0);
    if (!held.getValue().equals(bytes(node))) {
      return false;
    }
    long remainingSeconds =
        client
            .getLeaseClient()
            .timeToLive(held.getLease(), LeaseOption.DEFAULT)
            .get(ms, TimeUnit.MILLISECONDS)
            .getTTL();
    // etcd reports the time left in whole seconds, cut down: two more cover that and the expiry
    long patienceMs = Math.max(0, remainingSeconds) * 1000 + 2000;
    log.info(
        "reply partition {} holds {} under another lease; waiting up to {} ms for it to run out",
        n,
        node,
        patienceMs);
    CompletableFuture<Void> deleted = new CompletableFuture<>();
    WatchOption fromThen =
        WatchOption.builder().withRevision(found.getHeader().getRevision() + 1).build();
    try (Watch.Watcher watcher =
        client
            .getWatchClient()
            .watch(
                key,
                fromThen,
                Watch.listener(
                    response -> {
                      if (response.getEvents().stream()
                          .anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE)) {
                        deleted.complete(null);
                      }
                    },
                    deleted::completeExceptionally))) {
      deleted.get(patienceMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "instance id "
              + node
              + " is taken: reply partition "
              + n
              + " ("
              + PREFIX
              + n
              + ") is held by a live gateway with this id; give this one another"
              + " jindouyun.instance.id");
    }
  }

  private void onLost(String reason) {
    if (closed) {
      return;
    }
    held = false;
    log.warn("the lease of reply partition {} was lost ({}); claiming it again", partition, reason);
    reclaim(0);
  }

  private void reclaim(int attempt) {
    if (closed) {
      return;
    }
    KeptAliveLease fresh = null;
    try {
      fresh = grant();
      if (put(partition, fresh.id())) {
        lease = fresh;
        held = true;
        if (closed) {
          fresh.close();
        }
        log.info("reply partition {} claimed again for {}", partition, node);
        return;
      }
      log.error(
          "reply partition {} is claimed by another gateway; retrying (replies are still read)",
          partition);
    } catch (Exception e) {
      log.warn(
          "claiming reply partition {} again failed (attempt {}): {}",
          partition,
          attempt + 1,
          KeptAliveLease.rootMessage(e));
    }
    if (fresh != null) {
      fresh.close();
    }
    if (!closed) {
      executor.schedule(
          () -> reclaim(attempt + 1),
          RECLAIM_BACKOFF.delay(attempt).toMillis(),
          TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      KeptAliveLease current = lease;
      if (current != null) {
        current.close().get(timeout == null ? 2_000 : timeout.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (Exception e) {
      log.warn("could not revoke the reply partition lease: {}", e.toString());
    } finally {
      executor.shutdownNow();
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
