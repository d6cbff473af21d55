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

  /**
   * Whether a job sent now would be answered (its replies are being read); cheap and non-blocking.
   * While it is false, handshakes are refused with 503. Always true by default.
   */
  default boolean ready() {
    return true;
  }
}
