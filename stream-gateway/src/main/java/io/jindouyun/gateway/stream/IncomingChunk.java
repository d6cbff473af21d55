package io.jindouyun.gateway.stream;

/**
 * One chunk as read from the reply topic, free of transport types.
 *
 * @param streamId the stream it belongs to
 * @param generation the generation it was produced for
 * @param attempt the producer's attempt stamp; only the order of stamps matters
 * @param seq position within the attempt, from 0
 * @param delta the text it adds (may be empty)
 * @param finish non-empty on the last chunk ("stop", "length", ...)
 * @param usage token usage on the last chunk, or null
 * @param error a problem that fails the stream, or null
 * @param timestampMs when the record was written to Kafka, milliseconds since the epoch
 */
public record IncomingChunk(
    String streamId,
    long generation,
    int attempt,
    long seq,
    String delta,
    String finish,
    TokenUsage usage,
    StreamProblem error,
    long timestampMs) {

  /** Whether this chunk ends the stream. */
  boolean terminal() {
    return error != null || (finish != null && !finish.isEmpty());
  }
}
