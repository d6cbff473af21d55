package io.jindouyun.consumer.job;

import io.jindouyun.consumer.reply.Problems;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatError;
import io.jindouyun.proto.chat.v1.ChatJob;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.scheduler.Scheduler;

/**
 * Runs jobs: checks them, registers them in {@link InFlightJobs} and starts a {@link JobExecution}
 * on a worker of the reply scheduler. Thread-safe; one per process.
 */
public final class JobRunner {

  private static final Logger log = LoggerFactory.getLogger(JobRunner.class);

  private final JobParser parser;
  private final JobEnvironment env;
  private final InFlightJobs inFlight;
  private final Scheduler scheduler;

  /**
   * @param scheduler owns the jobs' workers; the caller disposes it after the last job
   */
  public JobRunner(
      JobParser parser, JobEnvironment env, InFlightJobs inFlight, Scheduler scheduler) {
    this.parser = parser;
    this.env = env;
    this.inFlight = inFlight;
    this.scheduler = scheduler;
    env.metrics().registry().gauge("jdy.requests.active", inFlight, InFlightJobs::size);
  }

  /** A started job; {@link #stop} ends it early. */
  public interface Handle {

    /** Completes when the job has ended and its chunks are settled; never fails. */
    CompletableFuture<JobResult> result();

    /** Ends the job early with {@code outcome}. */
    void stop(JobOutcome outcome);
  }

  /**
   * Starts the job in {@code value}, queued at {@code enqueuedAtMs} (its record's timestamp,
   * milliseconds since the epoch; 0 or less when unknown). An invalid job ends at once as {@link
   * JobOutcome#FAILED_FATAL} (with an {@code invalid-job} error chunk when its stream can be
   * reached).
   */
  public Handle start(byte[] value, long enqueuedAtMs) {
    ChatJob job;
    try {
      job = parser.parse(value);
    } catch (InvalidJobException e) {
      env.metrics().error("invalid-job");
      return done(new JobResult(JobOutcome.FAILED_FATAL, e, false));
    }
    return start(job, enqueuedAtMs);
  }

  /**
   * The job in {@code value}, or null if it is not a {@code ChatJob} ({@link #start(byte[], long)}
   * then ends it).
   */
  public ChatJob parse(byte[] value) {
    try {
      return parser.parse(value);
    } catch (InvalidJobException e) {
      return null;
    }
  }

  /**
   * Ends {@code job} without running it, as {@link JobOutcome#SUPERSEDED} or {@link
   * JobOutcome#RATE_LIMITED}, with that problem's error chunk when its stream can be reached.
   */
  public Handle refuse(ChatJob job, JobOutcome outcome) {
    Problems problem =
        switch (outcome) {
          case SUPERSEDED -> Problems.SUPERSEDED;
          case RATE_LIMITED -> Problems.RATE_LIMITED;
          default -> throw new IllegalArgumentException("not a refusal: " + outcome);
        };
    String detail =
        outcome == JobOutcome.SUPERSEDED
            ? "a newer chat of the same user replaced this one"
            : "the user started more chats than the fleet-wide rate allows";
    CompletableFuture<?> sent = CompletableFuture.completedFuture(null);
    if (parser.replyable(job) && job.getReplyPartition() >= 0) {
      sent = sendProblem(job, problem.toError(detail));
    }
    env.metrics().finished(outcome, 0);
    return done(sent.handle((ok, failure) -> new JobResult(outcome, null, failure != null)));
  }

  /** Starts {@code job}, parsed by {@link #parse}, queued at {@code enqueuedAtMs} (as above). */
  public Handle start(ChatJob job, long enqueuedAtMs) {
    try {
      JobExecution execution =
          new JobExecution(job, parser.request(job), env, scheduler.createWorker(), enqueuedAtMs);
      switch (inFlight.register(execution)) {
        case DUPLICATE -> {
          return done(new JobResult(JobOutcome.DUPLICATE, null, false));
        }
        case CANCELLED -> {
          return done(new JobResult(JobOutcome.CANCELLED, null, false));
        }
        case REGISTERED -> {
          execution.result().whenComplete((r, e) -> inFlight.remove(execution));
          execution.start();
          return new Handle() {
            @Override
            public CompletableFuture<JobResult> result() {
              return execution.result();
            }

            @Override
            public void stop(JobOutcome outcome) {
              if (outcome == JobOutcome.ABANDONED) {
                // Its record will be redelivered, maybe to this process at once: the new copy
                // must start (with a higher attempt), not be taken for a duplicate of this one.
                inFlight.remove(execution);
              }
              execution.stop(outcome);
            }
          };
        }
        default -> throw new IllegalStateException();
      }
    } catch (InvalidJobException e) {
      env.metrics().error("invalid-job");
      CompletableFuture<?> sent = CompletableFuture.completedFuture(null);
      if (parser.replyable(job)) {
        sent = sendProblem(job, Problems.INVALID_JOB.toError(e.getMessage()));
      }
      env.metrics().finished(JobOutcome.FAILED_FATAL, 0);
      return done(
          sent.handle((ok, failure) -> new JobResult(JobOutcome.FAILED_FATAL, e, failure != null)));
    }
  }

  private CompletableFuture<?> sendProblem(ChatJob job, ChatError error) {
    ChatChunk chunk =
        ChatChunk.newBuilder()
            .setStreamId(job.getStreamId())
            .setGeneration(job.getGeneration())
            .setAttempt(env.stamps().next(new JobKey(job.getStreamId(), job.getGeneration())))
            .setSeq(0)
            .setUserId(job.getUserId())
            .setError(error)
            .setProducedAtMs(env.clockMillis().getAsLong())
            .build();
    try {
      return env.sink().send(job.getReplyTopic(), Math.max(0, job.getReplyPartition()), chunk);
    } catch (RuntimeException failure) {
      log.warn("Could not send the error of job {}: {}", job.getStreamId(), failure.toString());
      return CompletableFuture.failedFuture(failure);
    }
  }

  /** A job that failed before it could start (an internal error): dead-lettered, committed. */
  public static Handle failed(Throwable failure) {
    return done(
        CompletableFuture.completedFuture(new JobResult(JobOutcome.FAILED_FATAL, failure, false)));
  }

  private Handle done(JobResult result) {
    env.metrics().finished(result.outcome(), 0);
    return done(CompletableFuture.completedFuture(result));
  }

  private static Handle done(CompletableFuture<JobResult> result) {
    return new Handle() {
      @Override
      public CompletableFuture<JobResult> result() {
        return result;
      }

      @Override
      public void stop(JobOutcome outcome) {
        // already ended
      }
    };
  }
}
