package io.jindouyun.consumer.job;

import io.jindouyun.proto.chat.v1.ChatJob;
import java.util.concurrent.CompletableFuture;

/**
 * Where the end of a job's answer goes as a conversation turn (the history).
 *
 * <p>Contract: {@link #record} is called on the job's worker once per run that ends (not for an
 * abandoned run: its record is redelivered), must not block, and returns a future that completes
 * normally within a bound, also when storing fails (the implementation logs and counts that). A job
 * is committed only after it completes, so a process that dies before the turn is stored has its
 * job redelivered and stored then; storing is idempotent by (streamId, generation).
 */
public interface TurnRecorder {

  /** Stores nothing. */
  TurnRecorder NONE =
      new TurnRecorder() {
        @Override
        public CompletableFuture<Void> record(ChatJob job, EndedAnswer answer) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public int maxAnswerChars() {
          return 0;
        }
      };

  /** Stores {@code answer} of {@code job} as a turn of its conversation. */
  CompletableFuture<Void> record(ChatJob job, EndedAnswer answer);

  /** Characters of an answer kept for the turn; the rest is dropped and the turn marked cut. */
  int maxAnswerChars();
}
