package io.jindouyun.gateway.reply;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.lease.LeaseKeepAliveResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims one partition of the reply topic in etcd: the first free key {@code
 * /jindouyun/replies/<n>} for n = 0..partitions-1 is put, if absent, in a transaction, attached to
 * this gateway's lease (kept alive while running). A key that already holds this node's id (a
 * restart before the old lease ran out) is taken over. Closing revokes the lease, which frees the
 * key at once.
 *
 * <p>Concurrency: {@link #claim} runs once at startup on the starting thread; keep-alive responses
 * arrive on jetcd's threads and only log.
 */
final class PartitionClaim implements AutoCloseable {

  static final String PREFIX = "/jindouyun/replies/";
  private static final Logger log = LoggerFactory.getLogger(PartitionClaim.class);

  private final Client client;
  private final boolean ownsClient;
  private long leaseId;
  private AutoCloseable keepAlive;

  /** A claim through {@code shared} if given (left open on close), else through its own client. */
  PartitionClaim(Client shared, List<String> endpoints) {
    this.ownsClient = shared == null;
    this.client =
        shared != null
            ? shared
            : Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
  }

  /** Claims a partition for {@code node}; throws if all {@code partitions} are taken. */
  int claim(String node, int partitions, Duration leaseTtl, Duration timeout) throws Exception {
    long ms = timeout.toMillis();
    leaseId =
        client
            .getLeaseClient()
            .grant(Math.max(1, leaseTtl.toSeconds()), ms, TimeUnit.MILLISECONDS)
            .get(ms, TimeUnit.MILLISECONDS)
            .getID();
    keepAlive =
        client
            .getLeaseClient()
            .keepAlive(
                leaseId,
                new StreamObserver<LeaseKeepAliveResponse>() {
                  @Override
                  public void onNext(LeaseKeepAliveResponse value) {}

                  @Override
                  public void onError(Throwable t) {
                    log.warn("keep-alive of the reply partition lease failed: {}", t.toString());
                  }

                  @Override
                  public void onCompleted() {}
                });
    ByteSequence value = bytes(node);
    PutOption withLease = PutOption.builder().withLeaseId(leaseId).build();
    for (int n = 0; n < partitions; n++) {
      ByteSequence key = bytes(PREFIX + n);
      boolean won =
          client
              .getKVClient()
              .txn()
              .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.version(0)))
              .Then(Op.put(key, value, withLease))
              .commit()
              .get(ms, TimeUnit.MILLISECONDS)
              .isSucceeded();
      if (!won) {
        won =
            client
                .getKVClient()
                .txn()
                .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.value(value)))
                .Then(Op.put(key, value, withLease))
                .commit()
                .get(ms, TimeUnit.MILLISECONDS)
                .isSucceeded();
      }
      if (won) {
        return n;
      }
    }
    throw new IllegalStateException(
        "all " + partitions + " reply partitions are claimed in etcd under " + PREFIX);
  }

  @Override
  public void close() {
    try {
      if (keepAlive != null) {
        keepAlive.close();
      }
      if (leaseId != 0) {
        client.getLeaseClient().revoke(leaseId).get(2, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      log.warn("could not revoke the reply partition lease: {}", e.toString());
    } finally {
      if (ownsClient) {
        client.close();
      }
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
