package io.jindouyun.gateway.handshake;

import java.util.concurrent.CompletableFuture;

/**
 * Puts a job on {@code chat.jobs}. The future completes when the broker acknowledged the record
 * ({@code acks=all}) and fails otherwise; the call itself must not block for long (it may wait for
 * producer metadata up to its configured bound, so callers invoke it off the event loop).
 */
@FunctionalInterface
public interface JobSender {

  /** Sends {@code job}; completes on the broker's ack. */
  CompletableFuture<?> send(JobSpec job);
}
