package io.jindouyun.consumer.llm;

import reactor.core.publisher.Flux;

/**
 * Streams one answer from an LLM.
 *
 * <p>Contract: the returned flux is cold; each subscription makes one upstream call. It emits zero
 * or more {@link LlmEvent.Delta}s (non-empty text, in order), then exactly one {@link
 * LlmEvent.Finish}, then completes. Any other ending is an error: {@link LlmHttpException} for a
 * non-2xx answer, {@link LlmStreamException} for an error event or a stream that ended early,
 * {@link LlmProtocolException} for a payload that is not the protocol, or a transport exception.
 * Cancelling the subscription closes the upstream connection at once, also before the first byte.
 * Signals may arrive on any thread (typically an I/O event loop): subscribers must not block.
 */
public interface LlmClient {

  /** The answer to {@code request}, as a cold stream of events. */
  Flux<LlmEvent> stream(LlmRequest request);
}
