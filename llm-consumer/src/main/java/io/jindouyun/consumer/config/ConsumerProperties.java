package io.jindouyun.consumer.config;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * How the consumer reads jobs, bounds its work and writes chunks.
 *
 * @param jobsTopic topic of the chat jobs
 * @param controlTopic topic of the cancels, read in full by every instance
 * @param deadLetterTopic topic failed jobs go to, with error headers
 * @param groupId consumer group of the job consumers
 * @param concurrency job consumers (Kafka consumers, each on its own thread) in this process
 * @param maxInProgress jobs one consumer runs at most; it pauses all its partitions before it could
 *     exceed it (finished jobs waiting for an earlier offset's commit do not count)
 * @param maxUncommitted records one partition tracks at most: running, or finished behind an older
 *     running job (so not yet committable). Only that partition pauses before it could exceed it,
 *     so one long job never stops the consumer's other partitions; it also bounds what a new owner
 *     redoes after this consumer dies
 * @param maxPollRecords records one poll returns at most (capped at {@code maxInProgress} and
 *     {@code maxUncommitted})
 * @param sessionTimeout the job consumers' group session timeout (Kafka {@code session.timeout.ms},
 *     classic group protocol): a consumer that stops heartbeating for this long (killed, frozen)
 *     loses its partitions to the others, whose jobs restart there. At least the broker's {@code
 *     group.min.session.timeout.ms} (6 s by default)
 * @param heartbeatInterval how often the job consumers heartbeat (Kafka {@code
 *     heartbeat.interval.ms}); also how soon a survivor learns that a rebalance started. At most a
 *     third of {@code sessionTimeout}
 * @param pollTimeout longest one poll waits; also bounds how late a paused consumer resumes and a
 *     finished job's commit is sent
 * @param coalesceDelay how long a token waits in the buffer before its chunk is sent while few jobs
 *     run (the first token of an answer never waits)
 * @param coalesceMaxDelay the longest a token waits in the buffer however many jobs run
 * @param coalesceChunkRate chunks per second this consumer aims to send at most: with more running
 *     jobs than {@code coalesceDelay} allows at this rate, the delay grows (up to {@code
 *     coalesceMaxDelay}) and more tokens share a chunk
 * @param coalesceBytes buffered UTF-8 bytes that send a chunk at once
 * @param maxJobDuration longest one job may run, also when its deadline is later or unset
 * @param drainTimeout on shutdown, how long running jobs may finish before they are abandoned
 *     (uncommitted, so another consumer redoes them)
 * @param replyThreads threads that own the per-job coalescing state and send the chunks
 * @param cancelMemory cancels remembered for jobs that have not arrived yet (oldest evicted)
 * @param controlReplay on start, how far back the control topic is read for recent cancels
 * @param stampMemory jobs whose last attempt stamp is remembered (oldest forgotten)
 * @param userMemory users, per job consumer, whose newest job (its offset) is remembered for the
 *     fleet-wide order, least recently used forgotten (see {@code UserOrder})
 * @param rateLimit the fleet-wide per-user job rate (see {@code UserRates})
 */
@Validated
@ConfigurationProperties("jindouyun.consumer")
public record ConsumerProperties(
    @DefaultValue("chat.jobs") @NotBlank String jobsTopic,
    @DefaultValue("chat.control") @NotBlank String controlTopic,
    @DefaultValue("chat.jobs-dlt") @NotBlank String deadLetterTopic,
    @DefaultValue("llm-consumer") @NotBlank String groupId,
    @DefaultValue("2") @Min(1) int concurrency,
    @DefaultValue("64") @Min(1) int maxInProgress,
    @DefaultValue("1024") @Min(1) int maxUncommitted,
    @DefaultValue("16") @Min(1) int maxPollRecords,
    @DefaultValue("100ms") Duration pollTimeout,
    @DefaultValue("20ms") Duration coalesceDelay,
    @DefaultValue("512") @Min(1) int coalesceBytes,
    @DefaultValue("100ms") Duration coalesceMaxDelay,
    @DefaultValue("500") @Min(1) int coalesceChunkRate,
    @DefaultValue("10m") Duration maxJobDuration,
    @DefaultValue("30s") Duration drainTimeout,
    @DefaultValue("2") @Min(1) int replyThreads,
    @DefaultValue("10000") @Min(1) int cancelMemory,
    @DefaultValue("60s") Duration controlReplay,
    @DefaultValue("65536") @Min(1) int stampMemory,
    @DefaultValue("6s") Duration sessionTimeout,
    @DefaultValue("1s") Duration heartbeatInterval,
    @DefaultValue("100000") @Min(1) int userMemory,
    @DefaultValue @Valid RateLimit rateLimit) {

  /**
   * The fleet-wide per-user job rate, enforced by the consumer that owns the user's partition.
   *
   * @param capacity jobs a user may start in a burst, across all gateways
   * @param refillPeriod time for one token to come back
   * @param maxUsers buckets kept per job consumer, least recently used forgotten
   */
  public record RateLimit(
      @DefaultValue("20") @Min(1) int capacity,
      @DefaultValue("1s") Duration refillPeriod,
      @DefaultValue("100000") @Min(1) int maxUsers) {}

  /** Records per poll: never more than one consumer may run or one partition may track. */
  public int effectiveMaxPollRecords() {
    return Math.min(maxPollRecords, Math.min(maxInProgress, maxUncommitted));
  }
}
