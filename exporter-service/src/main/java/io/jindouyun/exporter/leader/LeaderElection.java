package io.jindouyun.exporter.leader;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.election.LeaderKey;
import io.jindouyun.support.backoff.Backoff;
import io.jindouyun.support.etcd.KeptAliveLease;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election among exporters through etcd's election API, on a lease this exporter keeps
 * alive. The leader writes the metrics keys under that same lease, so when a leader dies its keys
 * and its election key expire together after the TTL, and the standby's pending campaign wins.
 *
 * <p>Cycle: grant a {@link KeptAliveLease} (TTL {@code leaseTtl}), campaign. When the campaign
 * returns, this exporter leads with that lease. When the lease is lost (keep-alive fails or ends,
 * etcd says it is gone, or no keep-alive answer for a TTL plus the operation timeout) it stops
 * leading at once and starts a new cycle after a jittered backoff. {@link #close()} resigns and
 * revokes the lease, so a clean shutdown hands over at once and removes its metrics keys.
 *
 * <p>Concurrency: state changes on the shared single-threaded executor; {@link #leaderLease()} may
 * be read from any thread.
 */
public final class LeaderElection {

  private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

  private final Client client;
  private final ByteSequence name;
  private final ByteSequence proposal;
  private final Duration ttl;
  private final Duration operationTimeout;
  private final Backoff backoff;
  private final ScheduledExecutorService executor;

  private volatile long leaderLease;
  // executor thread only
  private long epoch;
  private KeptAliveLease lease;
  private int failures;
  private LeaderKey leaderKey;
  private ScheduledFuture<?> retry;
  private boolean closed;

  public LeaderElection(
      Client client,
      String electionName,
      String proposal,
      Duration ttl,
      Duration operationTimeout,
      Backoff backoff,
      ScheduledExecutorService executor) {
    this.client = client;
    this.name = ByteSequence.from(electionName, UTF_8);
    this.proposal = ByteSequence.from(proposal, UTF_8);
    this.ttl = ttl;
    this.operationTimeout = operationTimeout;
    this.backoff = backoff;
    this.executor = executor;
  }

  /** The lease to write under while leading, 0 while not leading. */
  public long leaderLease() {
    return leaderLease;
  }

  /** Starts campaigning. */
  public void start() {
    executor.execute(() -> cycle());
  }

  private void cycle() {
    if (closed) {
      return;
    }
    long myEpoch = ++epoch;
    try {
      grantAndCampaign(myEpoch);
    } catch (RuntimeException e) {
      // the client refuses synchronously (closed): the process is going away
      log.warn("cannot campaign: {}", e.toString());
    }
  }

  private void grantAndCampaign(long myEpoch) {
    KeptAliveLease.grant(client, ttl, operationTimeout, executor, reason -> lost(myEpoch, reason))
        .whenCompleteAsync(
            (granted, error) -> {
              if (myEpoch != epoch || closed) {
                if (granted != null) {
                  granted.close();
                }
                return;
              }
              if (error != null) {
                lost(myEpoch, "lease grant failed: " + KeptAliveLease.rootMessage(error));
                return;
              }
              lease = granted;
              campaign(myEpoch, granted.id());
            },
            executor);
  }

  private void campaign(long myEpoch, long campaignLease) {
    client
        .getElectionClient()
        .campaign(name, campaignLease, proposal)
        .whenCompleteAsync(
            (response, error) -> {
              if (myEpoch != epoch || closed) {
                if (response != null) {
                  client
                      .getElectionClient()
                      .resign(response.getLeader())
                      .whenComplete((r, e) -> {});
                }
                return;
              }
              if (error != null) {
                lost(myEpoch, "campaign failed: " + error);
                return;
              }
              leaderKey = response.getLeader();
              failures = 0;
              leaderLease = campaignLease;
              log.info("leading the exporters with lease {}", Long.toHexString(campaignLease));
            },
            executor);
  }

  private void lost(long myEpoch, String reason) {
    if (myEpoch != epoch || closed) {
      return;
    }
    boolean wasLeader = leaderLease != 0;
    leaderLease = 0;
    epoch++;
    if (lease != null) {
      lease.close();
      lease = null;
    }
    leaderKey = null;
    Duration delay = backoff.delay(failures++);
    log.warn(
        "{}{}; campaigning again in {} ms",
        wasLeader ? "lost the lead: " : "",
        reason,
        delay.toMillis());
    retry = executor.schedule(this::cycle, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Resigns and revokes the lease; completes when done or after the operation timeout. */
  public CompletableFuture<Void> close() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    executor.execute(
        () -> {
          closed = true;
          epoch++;
          leaderLease = 0;
          if (retry != null) {
            retry.cancel(false);
          }
          KeptAliveLease current = lease;
          lease = null;
          CompletableFuture<?> resign;
          try {
            resign =
                leaderKey == null
                    ? CompletableFuture.completedFuture(null)
                    : client.getElectionClient().resign(leaderKey);
          } catch (RuntimeException e) {
            if (current != null) {
              current.close(); // stops the keep-alive; the lease expires
            }
            done.complete(null); // client already closed: nothing to hand over
            return;
          }
          resign
              .orTimeout(operationTimeout.toMillis(), TimeUnit.MILLISECONDS)
              .handle((r, e) -> null)
              .thenCompose(
                  r ->
                      current == null
                          ? CompletableFuture.<Void>completedFuture(null)
                          : current.close())
              .whenComplete((r, e) -> done.complete(null));
        });
    return done.completeOnTimeout(null, operationTimeout.toMillis() * 2, TimeUnit.MILLISECONDS);
  }
}
