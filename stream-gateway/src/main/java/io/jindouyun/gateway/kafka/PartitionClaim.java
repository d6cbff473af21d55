package io.jindouyun.gateway.kafka;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.etcd.KeptAliveLease;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims one partition of the reply topic in etcd: the first free key {@code
 * /jindouyun/replies/<n>} for n = 0..partitions-1 is put, if absent, in a transaction, attached to
 * this gateway's {@link KeptAliveLease}. A key that already holds this node's id (a restart before
 * the old lease ran out) is taken over. When the lease is lost (etcd unreachable for longer than
 * the TTL, or the lease revoked from outside) the loss is logged and the same partition is claimed
 * again under a new lease, retried with backoff until it succeeds or the claim is closed; the
 * gateway keeps reading its partition meanwhile. Closing revokes the lease, which frees the key at
 * once.
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
      if (put(n, lease.id())) {
        partition = n;
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

  /** The id of the lease the claim is held under now (0 before the first claim). */
  long leaseId() {
    KeptAliveLease current = lease;
    return current == null ? 0 : current.id();
  }

  private KeptAliveLease grant() throws Exception {
    return KeptAliveLease.grant(client, leaseTtl, timeout, executor, this::onLost)
        .get(timeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }

  /** Puts {@code PREFIX + n} under {@code leaseId} if the key is free or already this node's. */
  private boolean put(int n, long leaseId) throws Exception {
    long ms = timeout.toMillis();
    ByteSequence key = bytes(PREFIX + n);
    ByteSequence value = bytes(node);
    PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
    return client
            .getKVClient()
            .txn()
            .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
            .Then(Op.put(key, value, withLease))
            .commit()
            .get(ms, TimeUnit.MILLISECONDS)
            .isSucceeded()
        || client
            .getKVClient()
            .txn()
            .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(value)))
            .Then(Op.put(key, value, withLease))
            .commit()
            .get(ms, TimeUnit.MILLISECONDS)
            .isSucceeded();
  }

  private void onLost(String reason) {
    if (closed) {
      return;
    }
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
