package io.jindouyun.consumer.job;

/**
 * How one job ended.
 *
 * @param outcome the outcome
 * @param failure the failure behind a failed outcome, or null
 * @param chunkSendFailed whether a chunk of the stream failed to reach Kafka
 */
public record JobResult(JobOutcome outcome, Throwable failure, boolean chunkSendFailed) {}
