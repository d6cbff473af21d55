package io.jindouyun.consumer.job;

import io.jindouyun.consumer.llm.LlmClient;
import io.jindouyun.consumer.reply.CoalesceDelay;
import io.jindouyun.consumer.reply.ReplySink;
import io.jindouyun.support.backoff.Backoff;
import java.time.Duration;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * What every {@link JobExecution} shares.
 *
 * @param llm the LLM
 * @param sink where chunks go
 * @param stamps attempt stamps
 * @param classifier transient or fatal
 * @param backoff delays between retries
 * @param maxRetries retries before the first token
 * @param maxRetryAfter ceiling of an honoured {@code Retry-After}
 * @param coalesceBytes buffered bytes that send a chunk at once
 * @param coalesceDelay how long a token waits in the buffer, from the jobs running
 * @param runningJobs jobs running in this consumer now
 * @param maxJobDuration longest a job runs
 * @param clockMillis wall clock
 * @param metrics meters
 * @param turns where ended answers go as conversation turns
 */
public record JobEnvironment(
    LlmClient llm,
    ReplySink sink,
    AttemptStamps stamps,
    FailureClassifier classifier,
    Backoff backoff,
    int maxRetries,
    Duration maxRetryAfter,
    int coalesceBytes,
    CoalesceDelay coalesceDelay,
    IntSupplier runningJobs,
    Duration maxJobDuration,
    LongSupplier clockMillis,
    JobMetrics metrics,
    TurnRecorder turns) {}
