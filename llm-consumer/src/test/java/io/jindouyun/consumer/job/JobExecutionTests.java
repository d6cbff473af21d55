package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.consumer.llm.LlmClient;
import io.jindouyun.consumer.llm.LlmEvent;
import io.jindouyun.consumer.llm.LlmHttpException;
import io.jindouyun.consumer.llm.LlmRequest;
import io.jindouyun.consumer.llm.LlmStreamException;
import io.jindouyun.consumer.reply.CoalesceDelay;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import io.jindouyun.support.backoff.Backoff;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.test.scheduler.VirtualTimeScheduler;

/** One job's run on virtual time with a scripted LLM: coalescing, retries, failures, stops. */
class JobExecutionTests {

  static final long START = Instant.parse("2026-11-22T06:00:00Z").toEpochMilli();
  static final Duration DELAY = Duration.ofMillis(20);

  final VirtualTimeScheduler time = VirtualTimeScheduler.create();
  final ScriptedLlm llm = new ScriptedLlm();
  final List<ChatChunk> chunks = new CopyOnWriteArrayList<>();
  final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  final AtomicInteger running = new AtomicInteger(1);
  final AtomicInteger refusals = new AtomicInteger(); // sends of seq refusedSeq the broker refuses
  long refusedSeq = -1;
  CoalesceDelay delay = CoalesceDelay.fixed(DELAY);
  final List<EndedAnswer> recorded = new CopyOnWriteArrayList<>();
  CompletableFuture<Void> storing = CompletableFuture.completedFuture(null);
  final TurnRecorder turns =
      new TurnRecorder() {
        @Override
        public CompletableFuture<Void> record(ChatJob job, EndedAnswer answer) {
          recorded.add(answer);
          return storing;
        }

        @Override
        public int maxAnswerChars() {
          return 8;
        }
      };

  JobExecution execution(int coalesceBytes, long deadlineMs) {
    return execution(coalesceBytes, deadlineMs, 0);
  }

  JobExecution execution(int coalesceBytes, long deadlineMs, long enqueuedAtMs) {
    JobEnvironment env =
        new JobEnvironment(
            llm,
            (topic, partition, chunk) -> {
              if (refusals.get() > 0 && chunk.getSeq() == refusedSeq) {
                refusals.decrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("refused"));
              }
              chunks.add(chunk);
              return CompletableFuture.completedFuture(null);
            },
            new AttemptStamps(this::now, 16),
            new FailureClassifier(List.of()),
            new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), 2.0, 0.0),
            2,
            Duration.ofSeconds(1),
            coalesceBytes,
            delay,
            running::get,
            Duration.ofMinutes(10),
            this::now,
            new JobMetrics(registry),
            turns);
    ChatJob job =
        ChatJob.newBuilder()
            .setStreamId("gw~s")
            .setGeneration(7)
            .setUserId("u")
            .addMessages(ChatMessage.newBuilder().setRole("user").setContent("hi"))
            .setReplyTopic("chat.replies")
            .setDeadlineMs(deadlineMs)
            .build();
    JobExecution execution =
        new JobExecution(
            job, new JobParser("m").request(job), env, time.createWorker(), enqueuedAtMs);
    execution.start();
    time.advanceTime();
    return execution;
  }

  JobExecution execution() {
    return execution(512, 0);
  }

  long now() {
    return START + time.now(TimeUnit.MILLISECONDS);
  }

  int stampNow() {
    return (int) ((now() - AttemptStamps.ORIGIN.toEpochMilli()) / 100);
  }

  void emit(LlmEvent event) {
    llm.last().tryEmitNext(event);
    time.advanceTime();
  }

  void fail(Throwable failure) {
    llm.last().tryEmitError(failure);
    time.advanceTime();
  }

  void advance(long millis) {
    time.advanceTimeBy(Duration.ofMillis(millis));
  }

  @Test
  void theFirstTokenGoesAtOnceAndLaterOnesWaitForTheCoalesceDelay() {
    JobExecution run = execution();
    emit(new LlmEvent.Delta("Hello"));
    assertThat(chunks).extracting(ChatChunk::getDelta).containsExactly("Hello");

    emit(new LlmEvent.Delta(" big"));
    advance(10);
    emit(new LlmEvent.Delta(" world"));
    advance(9);
    assertThat(chunks).hasSize(1);
    advance(1);
    assertThat(chunks).extracting(ChatChunk::getDelta).containsExactly("Hello", " big world");

    emit(new LlmEvent.Delta("!"));
    emit(new LlmEvent.Finish("stop", new LlmEvent.TokenUsage(1, 4, 5)));
    time.advanceTime();

    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 1L, 2L);
    ChatChunk last = chunks.get(2);
    assertThat(last.getDelta()).isEqualTo("!");
    assertThat(last.getFinish()).isEqualTo("stop");
    assertThat(last.getUsage().getTotalTokens()).isEqualTo(5);
    assertThat(chunks).extracting(ChatChunk::getAttempt).containsOnly(stampNow());
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.COMPLETED);
  }

  @Test
  void withManyJobsRunningLaterTokensWaitLongerButTheFirstGoesAtOnce() {
    // 20 ms with few jobs; 40 jobs at 500 chunks per second: 80 ms
    delay = new CoalesceDelay(DELAY, Duration.ofMillis(100), 500);
    running.set(40);
    execution();
    emit(new LlmEvent.Delta("Hello"));
    assertThat(chunks).extracting(ChatChunk::getDelta).containsExactly("Hello");
    for (String token : List.of(" a", " b", " c", " d")) {
      emit(new LlmEvent.Delta(token));
      advance(19);
    }
    assertThat(chunks).as("76 ms after the second token").hasSize(1);
    advance(4);
    assertThat(chunks).extracting(ChatChunk::getDelta).containsExactly("Hello", " a b c d");
  }

  @Test
  void aCompleteAnswerIsStoredBeforeItsLastChunkGoesOut() {
    storing = new CompletableFuture<>();
    JobExecution run = execution();
    emit(new LlmEvent.Delta("Hello"));
    emit(new LlmEvent.Delta(" world"));
    emit(new LlmEvent.Finish("stop", new LlmEvent.TokenUsage(1, 2, 3)));

    assertThat(recorded)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.text()).isEqualTo("Hello wo"); // the recorder keeps 8 characters
              assertThat(a.truncated()).isTrue();
              assertThat(a.partialReason()).isNull();
              assertThat(a.finishReason()).isEqualTo("stop");
              assertThat(a.totalTokens()).isEqualTo(3);
            });
    assertThat(chunks).noneMatch(c -> !c.getFinish().isEmpty());
    run.stop(JobOutcome.CANCELLED); // too late: the answer is complete
    time.advanceTime();
    assertThat(run.result()).isNotDone();

    storing.complete(null);
    time.advanceTime();

    assertThat(chunks.get(chunks.size() - 1).getFinish()).isEqualTo("stop");
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.COMPLETED);
    assertThat(recorded).hasSize(1);
  }

  @Test
  void aCancelledRunIsStoredAsPartialAndCommittedOnlyOnceStored() {
    storing = new CompletableFuture<>();
    JobExecution run = execution();
    emit(new LlmEvent.Delta("Half"));
    run.stop(JobOutcome.CANCELLED);
    time.advanceTime();

    assertThat(recorded)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.text()).isEqualTo("Half");
              assertThat(a.partialReason()).isEqualTo("cancelled");
              assertThat(a.firstTokenMs()).isNotNull();
            });
    assertThat(run.result()).isNotDone();
    storing.complete(null);
    time.advanceTime();
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.CANCELLED);
  }

  @Test
  void anAbandonedRunStoresNothing() {
    JobExecution run = execution();
    emit(new LlmEvent.Delta("Half"));
    run.stop(JobOutcome.ABANDONED);
    time.advanceTime();

    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.ABANDONED);
    assertThat(recorded).isEmpty();
  }

  @Test
  void aFullBufferGoesAtOnce() {
    execution(8, 0);
    emit(new LlmEvent.Delta("a"));
    emit(new LlmEvent.Delta("1234"));
    assertThat(chunks).hasSize(1);
    emit(new LlmEvent.Delta("5678"));
    assertThat(chunks).extracting(ChatChunk::getDelta).containsExactly("a", "12345678");
  }

  @Test
  void aTransientFailureBeforeTheFirstTokenIsRetriedAfterTheBackoffWithAHigherAttempt() {
    JobExecution run = execution();
    int first = stampNow();
    fail(new LlmHttpException(500, "oops", null));
    advance(99);
    assertThat(llm.calls).hasSize(1);
    advance(1);
    assertThat(llm.calls).hasSize(2);

    emit(new LlmEvent.Delta("ok"));
    emit(new LlmEvent.Finish("stop", null));

    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 1L);
    assertThat(chunks).extracting(ChatChunk::getAttempt).containsOnly(first + 1);
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.COMPLETED);
  }

  @Test
  void aRetryAfterIsHonouredUpToItsCeiling() {
    execution();
    fail(new LlmHttpException(429, "slow down", Duration.ofSeconds(30)));
    advance(999);
    assertThat(llm.calls).hasSize(1);
    advance(1);
    assertThat(llm.calls).hasSize(2);
  }

  @Test
  void retriesEndWithAnUnavailableErrorAndADeadLetter() {
    JobExecution run = execution();
    fail(new LlmStreamException("dropped"));
    advance(100);
    fail(new LlmStreamException("dropped"));
    advance(200);
    fail(new LlmStreamException("dropped"));

    assertThat(llm.calls).hasSize(3);
    assertThat(chunks)
        .singleElement()
        .satisfies(c -> assertThat(c.getError().getType()).endsWith("/llm-unavailable"));
    assertThat(run.result())
        .isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.FAILED_RETRIES_EXHAUSTED);
    assertThat(JobOutcome.FAILED_RETRIES_EXHAUSTED.deadLetter()).isTrue();
  }

  @Test
  void aClientErrorIsNotRetried() {
    JobExecution run = execution();
    fail(new LlmHttpException(400, "bad", null));
    advance(5_000);

    assertThat(llm.calls).hasSize(1);
    assertThat(chunks)
        .singleElement()
        .satisfies(c -> assertThat(c.getError().getType()).endsWith("/llm-rejected"));
    assertThat(run.result())
        .isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.FAILED_FATAL);
  }

  @Test
  void aFailureAfterTheFirstTokenEndsTheStreamWithAnErrorAndIsNotRetried() {
    JobExecution run = execution();
    emit(new LlmEvent.Delta("half"));
    emit(new LlmEvent.Delta(" way"));
    fail(new LlmStreamException("gone"));
    advance(5_000);

    assertThat(llm.calls).hasSize(1);
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 1L);
    assertThat(chunks.get(1).getDelta()).isEmpty();
    assertThat(chunks.get(1).getError().getType()).endsWith("/llm-stream-failed");
    assertThat(run.result())
        .isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.FAILED_MID_STREAM);
  }

  @Test
  void stopDisposesTheUpstreamCallBeforeTheFirstToken() {
    JobExecution run = execution();
    run.stop(JobOutcome.CANCELLED);
    time.advanceTime();

    assertThat(llm.cancels).hasValue(1);
    assertThat(chunks).isEmpty();
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.CANCELLED);
  }

  @Test
  void theDeadlineStopsTheRunWithAnExpiredErrorChunk() {
    JobExecution run = execution(512, START + 500);
    emit(new LlmEvent.Delta("slow"));
    advance(499);
    assertThat(run.result()).isNotDone();
    advance(1);

    assertThat(llm.cancels).hasValue(1);
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 1L);
    assertThat(chunks.get(1).getAttempt()).isEqualTo(chunks.get(0).getAttempt());
    assertThat(chunks.get(1).getError().getType()).endsWith("/job-expired");
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.EXPIRED);
  }

  @Test
  void supersedingClosesTheUpstreamCallAndEndsTheStreamWithASupersededChunkAfterTheSentOnes() {
    JobExecution run = execution();
    emit(new LlmEvent.Delta("first"));
    emit(new LlmEvent.Delta(" held"));
    run.stop(JobOutcome.SUPERSEDED);
    time.advanceTime();

    assertThat(llm.cancels).hasValue(1);
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 1L);
    assertThat(chunks.get(1).getAttempt()).isEqualTo(chunks.get(0).getAttempt());
    assertThat(chunks.get(1).getDelta()).isEmpty();
    assertThat(chunks.get(1).getError().getType()).endsWith("/superseded");
    assertThat(chunks.get(1).getError().getStatus()).isEqualTo(409);
    assertThat(run.result())
        .isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.SUPERSEDED);
  }

  @Test
  void aJobAlreadyPastItsDeadlineSendsOnlyAnExpiredErrorChunk() {
    JobExecution run = execution(512, START - 1);
    time.advanceTime();

    assertThat(llm.calls).isEmpty();
    assertThat(chunks).singleElement().satisfies(c -> assertThat(c.getSeq()).isZero());
    assertThat(chunks.get(0).getAttempt()).isPositive();
    assertThat(chunks.get(0).getError().getType()).endsWith("/job-expired");
    assertThat(run.result()).isCompletedWithValueMatching(r -> r.outcome() == JobOutcome.EXPIRED);
  }

  @Test
  void aChunkTheBrokerRefusedIsSentAgainAndTheAnswerEndsWhole() {
    refusedSeq = 1;
    refusals.set(JobExecution.RESENDS); // refused every time but the last
    JobExecution run = execution();
    emit(new LlmEvent.Delta("Hello"));
    emit(new LlmEvent.Delta(" world"));
    advance(DELAY.toMillis());
    emit(new LlmEvent.Delta("!"));
    emit(new LlmEvent.Finish("stop", null));
    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 2L);
    assertThat(run.result()).isNotDone();

    advance(JobExecution.RESEND_DELAY.toMillis() * JobExecution.RESENDS);

    assertThat(chunks).extracting(ChatChunk::getSeq).containsExactly(0L, 2L, 1L);
    assertThat(chunks.get(2).getDelta()).isEqualTo(" world");
    assertThat(run.result())
        .isCompletedWithValueMatching(
            r -> r.outcome() == JobOutcome.COMPLETED && !r.chunkSendFailed());
  }

  @Test
  void aChunkRefusedEveryTimeFailsTheSendsOfItsJob() {
    refusedSeq = 1;
    refusals.set(JobExecution.RESENDS + 1);
    JobExecution run = execution();
    emit(new LlmEvent.Delta("Hello"));
    emit(new LlmEvent.Delta(" world"));
    advance(DELAY.toMillis());
    emit(new LlmEvent.Finish("stop", null));
    advance(JobExecution.RESEND_DELAY.toMillis() * (JobExecution.RESENDS + 1));

    assertThat(chunks).extracting(ChatChunk::getSeq).doesNotContain(1L);
    assertThat(run.result()).isCompletedWithValueMatching(JobResult::chunkSendFailed);
  }

  /** Each call is a sink the test drives. */
  static final class ScriptedLlm implements LlmClient {

    final List<Sinks.Many<LlmEvent>> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger cancels = new AtomicInteger();

    @Override
    public Flux<LlmEvent> stream(LlmRequest request) {
      return Flux.defer(
          () -> {
            Sinks.Many<LlmEvent> call = Sinks.many().unicast().onBackpressureBuffer();
            calls.add(call);
            return call.asFlux().doOnCancel(cancels::incrementAndGet);
          });
    }

    Sinks.Many<LlmEvent> last() {
      return calls.get(calls.size() - 1);
    }
  }

  @Test
  void theQueueWaitRunsFromTheRecordTimestampToTheFirstLlmCall() {
    execution(512, 0, START - 250);

    assertThat(registry.get("jdy.queue.wait").timer().count()).isEqualTo(1);
    assertThat(registry.get("jdy.queue.wait").timer().totalTime(TimeUnit.MILLISECONDS))
        .isEqualTo(250.0);
  }

  @Test
  void anUnknownRecordTimestampRecordsNoQueueWait() {
    execution();

    assertThat(registry.get("jdy.queue.wait").timer().count()).isZero();
  }

  @Test
  void theUpstreamTtftIsTimedOnceForTheCallThatProducedTheFirstToken() {
    execution();
    fail(new LlmHttpException(500, "oops", null));
    advance(100);
    assertThat(llm.calls).hasSize(2);
    assertThat(registry.get("jdy.upstream.ttft").timer().count()).isZero();

    emit(new LlmEvent.Delta("Hello"));
    emit(new LlmEvent.Delta(" world"));

    assertThat(registry.get("jdy.upstream.ttft").timer().count()).isEqualTo(1);
    assertThat(registry.get("jdy.ttft").timer().count()).isEqualTo(1);
    assertThat(registry.get("jdy.queue.wait").timer().count()).isZero();
  }
}
