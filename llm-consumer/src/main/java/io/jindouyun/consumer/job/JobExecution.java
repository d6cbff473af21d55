package io.jindouyun.consumer.job;

import io.jindouyun.consumer.llm.LlmEvent;
import io.jindouyun.consumer.llm.LlmHttpException;
import io.jindouyun.consumer.llm.LlmRequest;
import io.jindouyun.consumer.reply.ChunkCoalescer;
import io.jindouyun.consumer.reply.Problems;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatError;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.Usage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.reactivestreams.Subscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.scheduler.Scheduler;

/**
 * One run of one job: calls the LLM, coalesces its tokens into chunks and sends them to the job's
 * reply partition; retries transient failures before the first token; stops on cancel, deadline or
 * abandonment.
 *
 * <h2>Threads</h2>
 *
 * Every mutable field is confined to one {@link Scheduler.Worker} (a single thread at a time, tasks
 * in order): upstream signals, the flush timer, retries, the deadline and {@link #stop} are all
 * handed to it. So the LLM's event loop never runs coalescing or Kafka sends, and nothing here
 * needs a lock. The upstream is read with bounded demand ({@value #PREFETCH} events ahead of the
 * worker), so the worker's queue per job is bounded too.
 *
 * <h2>Chunks</h2>
 *
 * Each start of the upstream call takes a new attempt stamp ({@link AttemptStamps}) and numbers its
 * chunks from seq 0. The first token goes out at once; later ones are coalesced ({@link
 * ChunkCoalescer}). The last chunk carries the rest of the text, the finish reason and the usage.
 *
 * <h2>Failures</h2>
 *
 * Before the first token of an attempt, a transient failure ({@link FailureClassifier}) restarts
 * the call after a backoff (honouring {@code Retry-After} up to a ceiling), at most {@code
 * maxRetries} times; then an {@code error} chunk ({@code llm-unavailable}) and the dead-letter
 * topic. A fatal failure: an {@code error} chunk ({@code llm-rejected}) and the dead-letter topic.
 * After the first token, any failure ends the stream with an {@code error} chunk ({@code
 * llm-stream-failed}) and is not retried: a silent restart would make the reader watch the answer
 * start over; the user can regenerate instead. When the job's deadline (or the maximum job
 * duration) passes, the run ends with a {@code job-expired} error chunk: every stream ends.
 *
 * <h2>History</h2>
 *
 * The text of the current attempt is kept (up to {@link TurnRecorder#maxAnswerChars()}) and handed
 * to the {@link TurnRecorder} when the run ends: a complete answer is stored <em>before</em> its
 * last chunk goes out (so a client that sees {@code done} and asks again at once finds the turn), a
 * run that ends early (cancel, failure, deadline, supersede) is stored as partial with its reason;
 * an abandoned run stores nothing (it is redelivered).
 *
 * <p>{@link #result()} completes once every chunk sent has been acknowledged (or failed) and the
 * turn is stored (or failed to be), so the caller commits a job only when its answer is in Kafka
 * and in the history.
 */
final class JobExecution {

  static final int PREFETCH = 32;

  private static final Logger log = LoggerFactory.getLogger(JobExecution.class);

  /** Sends of a chunk after its first failed, before the job gives it up. */
  static final int RESENDS = 2;

  /** Wait before a failed chunk is sent again. */
  static final Duration RESEND_DELAY = Duration.ofMillis(200);

  private final ChatJob job;
  private final JobKey key;
  private final LlmRequest request;
  private final JobEnvironment env;
  private final Scheduler.Worker worker;
  private final CompletableFuture<JobResult> result = new CompletableFuture<>();
  private final long startNanos = System.nanoTime();
  private final long enqueuedAtMs;

  // Confined to the worker.
  private final ChunkCoalescer coalescer;
  private Upstream upstream;
  private int attempt;
  private long seq;
  private int retries;
  private long attemptStartNanos;
  private boolean attemptHasTokens;
  private boolean anyToken;
  private boolean ended;
  private Disposable flushTimer;
  private Disposable retryTimer;
  private Disposable deadlineTimer;
  private CompletableFuture<?> lastSend = CompletableFuture.completedFuture(null);
  private boolean sendFailed;
  private final long startedAtMs;
  private final StringBuilder answer = new StringBuilder();
  private boolean answerTruncated;
  private Long firstTokenMs;
  private boolean finishing;
  private CompletableFuture<Void> stored = CompletableFuture.completedFuture(null);

  /**
   * @param enqueuedAtMs when the job was queued (its record's timestamp), milliseconds since the
   *     epoch; 0 or less when unknown (no queue wait is recorded then)
   */
  JobExecution(
      ChatJob job,
      LlmRequest request,
      JobEnvironment env,
      Scheduler.Worker worker,
      long enqueuedAtMs) {
    this.job = job;
    this.enqueuedAtMs = enqueuedAtMs;
    this.key = new JobKey(job.getStreamId(), job.getGeneration());
    this.request = request;
    this.env = env;
    this.worker = worker;
    this.coalescer = new ChunkCoalescer(env.coalesceBytes());
    this.startedAtMs = env.clockMillis().getAsLong();
  }

  JobKey key() {
    return key;
  }

  ChatJob job() {
    return job;
  }

  /** Completes when the run has ended and its chunks are settled; never fails. */
  CompletableFuture<JobResult> result() {
    return result;
  }

  /** Starts the run. Call once. */
  void start() {
    submit(this::begin);
  }

  /**
   * Stops the run (from any thread) with {@code outcome}: the upstream call is disposed, which
   * closes its connection, also before the first token. No-op once ended.
   */
  void stop(JobOutcome outcome) {
    if (outcome == JobOutcome.SUPERSEDED) {
      submit(this::supersede);
    } else {
      submit(() -> end(outcome, null));
    }
  }

  private void submit(Runnable task) {
    try {
      worker.schedule(task);
    } catch (RejectedExecutionException e) {
      // The scheduler is shutting down: nothing more can run for this job.
      disposeUpstream();
      result.complete(new JobResult(JobOutcome.ABANDONED, e, sendFailed));
      worker.dispose();
    }
  }

  private void begin() {
    if (ended) {
      return;
    }
    long now = env.clockMillis().getAsLong();
    long limit = now + env.maxJobDuration().toMillis();
    long deadline = job.getDeadlineMs() > 0 ? Math.min(job.getDeadlineMs(), limit) : limit;
    if (deadline <= now) {
      expire();
      return;
    }
    deadlineTimer = worker.schedule(this::expire, deadline - now, TimeUnit.MILLISECONDS);
    if (enqueuedAtMs > 0) {
      env.metrics().queueWait(now - enqueuedAtMs);
    }
    startAttempt();
  }

  private void startAttempt() {
    if (ended) {
      return;
    }
    attempt = env.stamps().next(key);
    seq = 0;
    attemptHasTokens = false;
    coalescer.reset();
    answer.setLength(0);
    answerTruncated = false;
    Upstream next = new Upstream();
    upstream = next;
    attemptStartNanos = System.nanoTime();
    env.llm().stream(request).subscribe(next);
  }

  private void onEvent(Upstream from, LlmEvent event) {
    if (from != upstream || ended) {
      return;
    }
    if (event instanceof LlmEvent.Delta delta) {
      onDelta(delta.text());
      from.request(1);
    } else if (event instanceof LlmEvent.Finish finish) {
      cancelFlushTimer();
      ChatChunk.Builder last = chunk(coalescer.take()).setFinish(finish.reason());
      if (finish.usage() != null) {
        last.setUsage(
            Usage.newBuilder()
                .setPromptTokens(finish.usage().promptTokens())
                .setCompletionTokens(finish.usage().completionTokens())
                .setTotalTokens(finish.usage().totalTokens()));
      }
      EndedAnswer ended = ended(null, finish.reason(), finish.usage());
      finishing = true;
      stored = env.turns().record(job, ended);
      if (stored.isDone()) {
        finishComplete(last);
      } else {
        stored.whenComplete((ok, ignored) -> submit(() -> finishComplete(last)));
      }
    }
  }

  /** After the complete turn is stored (or failed to be): the last chunk, then the end. */
  private void finishComplete(ChatChunk.Builder last) {
    finishing = false;
    if (ended) {
      return;
    }
    send(last);
    end(JobOutcome.COMPLETED, null);
  }

  private EndedAnswer ended(String partialReason, String finishReason, LlmEvent.TokenUsage usage) {
    return new EndedAnswer(
        answer.toString(),
        answerTruncated,
        partialReason,
        finishReason,
        usage == null ? null : usage.promptTokens(),
        usage == null ? null : usage.completionTokens(),
        usage == null ? null : usage.totalTokens(),
        startedAtMs,
        firstTokenMs,
        env.clockMillis().getAsLong());
  }

  private void onDelta(String text) {
    env.metrics().token();
    if (!anyToken) {
      anyToken = true;
      env.metrics().firstToken(System.nanoTime() - startNanos);
      firstTokenMs = env.clockMillis().getAsLong() - startedAtMs;
    }
    int room = env.turns().maxAnswerChars() - answer.length();
    if (text.length() <= room) {
      answer.append(text);
    } else {
      answer.append(text, 0, Math.max(0, room));
      answerTruncated = true;
    }
    if (!attemptHasTokens) {
      env.metrics().upstreamFirstToken(System.nanoTime() - attemptStartNanos);
    }
    attemptHasTokens = true;
    switch (coalescer.offer(text)) {
      case FLUSH_NOW -> flush();
      case ARM_TIMER -> {
        Upstream armedFor = upstream;
        flushTimer =
            worker.schedule(
                () -> {
                  if (armedFor == upstream && !ended && !coalescer.isEmpty()) {
                    flush();
                  }
                },
                env.coalesceDelay().nanos(env.runningJobs().getAsInt()),
                TimeUnit.NANOSECONDS);
      }
      case WAIT -> {
        // the armed timer sends it
      }
    }
  }

  private void flush() {
    cancelFlushTimer();
    send(chunk(coalescer.take()));
  }

  private void onFailure(Upstream from, Throwable failure) {
    if (from != upstream || ended) {
      return;
    }
    if (attemptHasTokens) {
      env.metrics().error("llm-stream");
      cancelFlushTimer();
      sendError(Problems.LLM_STREAM_FAILED.toError(failure.getMessage()));
      end(JobOutcome.FAILED_MID_STREAM, failure);
      return;
    }
    boolean transientFailure = env.classifier().isTransient(failure);
    if (transientFailure && retries < env.maxRetries()) {
      Duration delay = env.backoff().delay(retries);
      if (failure instanceof LlmHttpException http && http.retryAfter() != null) {
        Duration asked =
            http.retryAfter().compareTo(env.maxRetryAfter()) > 0
                ? env.maxRetryAfter()
                : http.retryAfter();
        delay = asked.compareTo(delay) > 0 ? asked : delay;
      }
      retries++;
      env.metrics().error("llm-retry");
      log.debug("Retrying {} in {} after: {}", key, delay, failure.toString());
      upstream = null;
      retryTimer = worker.schedule(this::startAttempt, delay.toMillis(), TimeUnit.MILLISECONDS);
      return;
    }
    if (transientFailure) {
      env.metrics().error("llm-unavailable");
      sendError(Problems.LLM_UNAVAILABLE.toError(failure.getMessage()));
      end(JobOutcome.FAILED_RETRIES_EXHAUSTED, failure);
    } else {
      env.metrics().error("llm-rejected");
      sendError(Problems.LLM_REJECTED.toError(failure.getMessage()));
      end(JobOutcome.FAILED_FATAL, failure);
    }
  }

  /**
   * Ends the run because its deadline passed, with a {@code job-expired} error chunk, so that the
   * stream ends for its readers instead of waiting for chunks that never come.
   */
  private void expire() {
    endWith(
        Problems.JOB_EXPIRED,
        "the answer was not finished before its deadline",
        JobOutcome.EXPIRED);
  }

  /**
   * Ends the run because a newer job of the same user came (on any gateway), with a {@code
   * superseded} error chunk after the chunks already sent: the stream's gateway turns it into the
   * {@code superseded} event.
   */
  private void supersede() {
    endWith(
        Problems.SUPERSEDED,
        "a newer chat of the same user replaced this one",
        JobOutcome.SUPERSEDED);
  }

  /**
   * Ends the run with an error chunk of {@code problem}. Before any upstream call (a job stopped
   * before it began) the chunk takes a stamp of its own.
   */
  private void endWith(Problems problem, String detail, JobOutcome outcome) {
    if (ended || finishing) {
      return;
    }
    cancelFlushTimer();
    if (attempt == 0) {
      attempt = env.stamps().next(key);
      seq = 0;
    }
    sendError(problem.toError(detail));
    end(outcome, null);
  }

  private void sendError(ChatError error) {
    send(chunk("").setError(error));
  }

  private ChatChunk.Builder chunk(String delta) {
    ChatChunk.Builder chunk =
        ChatChunk.newBuilder()
            .setStreamId(job.getStreamId())
            .setGeneration(job.getGeneration())
            .setAttempt(attempt);
    if (seq == 0) { // the first chunk names the owner, for a gateway that takes the stream over
      chunk.setUserId(job.getUserId());
    }
    return chunk.setSeq(seq++).setDelta(delta);
  }

  private void send(ChatChunk.Builder chunk) {
    ChatChunk built = chunk.setProducedAtMs(env.clockMillis().getAsLong()).build();
    CompletableFuture<Void> sent = new CompletableFuture<>();
    sendOnce(built, RESENDS, sent);
    lastSend =
        CompletableFuture.allOf(lastSend, sent)
            .handle(
                (ok, failure) -> {
                  if (failure != null) {
                    markSendFailed(failure);
                  }
                  return null;
                });
  }

  /**
   * Sends {@code built}; when the broker does not take it (a failure that outlived the producer's
   * own retries, or one it does not retry, such as a sequence error after a broker restart), sends
   * it again, from the worker, up to {@code resends} more times. Later chunks are not held back
   * meanwhile: the gateway keeps them until the gap is filled ({@code gap-wait}), and drops a copy
   * of a seq it has. Without this one failed chunk left a hole that failed the whole answer.
   */
  private void sendOnce(ChatChunk built, int resends, CompletableFuture<Void> done) {
    CompletableFuture<?> attempt;
    try {
      attempt = env.sink().send(job.getReplyTopic(), job.getReplyPartition(), built);
    } catch (RuntimeException e) {
      attempt = CompletableFuture.failedFuture(e);
    }
    attempt.whenComplete(
        (ok, failure) -> {
          if (failure == null) {
            done.complete(null);
            return;
          }
          if (resends <= 0) {
            done.completeExceptionally(failure);
            return;
          }
          env.metrics().error("chunk-resend");
          log.info(
              "Chunk {} of {} did not reach Kafka ({}); sending it again",
              built.getSeq(),
              key,
              failure.toString());
          try {
            worker.schedule(
                () -> sendOnce(built, resends - 1, done),
                RESEND_DELAY.toMillis(),
                TimeUnit.MILLISECONDS);
          } catch (RejectedExecutionException e) {
            done.completeExceptionally(failure);
          }
        });
  }

  private void markSendFailed(Throwable failure) {
    submit(
        () -> {
          if (!sendFailed) {
            sendFailed = true;
            env.metrics().error("chunk-send");
            log.warn("A chunk of {} did not reach Kafka: {}", key, failure.toString());
          }
        });
  }

  private void end(JobOutcome outcome, Throwable failure) {
    if (ended || finishing) {
      return; // a complete answer being stored ends as completed
    }
    ended = true;
    disposeUpstream();
    cancelFlushTimer();
    if (retryTimer != null) {
      retryTimer.dispose();
    }
    if (deadlineTimer != null) {
      deadlineTimer.dispose();
    }
    env.metrics().finished(outcome, System.nanoTime() - startNanos);
    log.debug("Job {} ended: {} after {} retries", key, outcome, retries);
    String partial = partialReason(outcome, failure);
    if (partial != null) {
      stored = env.turns().record(job, ended(partial, null, null));
    }
    CompletableFuture.allOf(lastSend, stored)
        .whenComplete(
            (ok, ignored) ->
                submit(
                    () -> {
                      result.complete(new JobResult(outcome, failure, sendFailed));
                      worker.dispose();
                    }));
  }

  /** Why a run that ended with {@code outcome} is a partial turn; null when it stores none. */
  private static String partialReason(JobOutcome outcome, Throwable failure) {
    String reason =
        switch (outcome) {
          case CANCELLED -> "cancelled";
          case EXPIRED -> "expired";
          case SUPERSEDED -> "superseded";
          case FAILED_MID_STREAM, FAILED_RETRIES_EXHAUSTED, FAILED_FATAL -> "failed";
          default -> null; // completed (stored before its last chunk), abandoned (redelivered)
        };
    if (reason != null && failure != null && failure.getMessage() != null) {
      String message = failure.getMessage();
      reason += ": " + (message.length() > 400 ? message.substring(0, 400) : message);
    }
    return reason;
  }

  private void disposeUpstream() {
    Upstream current = upstream;
    if (current != null) {
      current.dispose();
    }
  }

  private void cancelFlushTimer() {
    if (flushTimer != null) {
      flushTimer.dispose();
      flushTimer = null;
    }
  }

  /** Receives the LLM's signals on its thread and hands them to the worker. */
  private final class Upstream extends BaseSubscriber<LlmEvent> {

    @Override
    protected void hookOnSubscribe(Subscription subscription) {
      subscription.request(PREFETCH);
    }

    @Override
    protected void hookOnNext(LlmEvent event) {
      submit(() -> onEvent(this, event));
    }

    @Override
    protected void hookOnError(Throwable failure) {
      submit(() -> onFailure(this, failure));
    }
  }
}
