package io.jindouyun.gateway.handshake;

import java.time.Instant;

/**
 * The answer to a successful handshake (202).
 *
 * @param streamId where to read the answer: {@code <node>~<random>}
 * @param generation the generation opened for it
 * @param node the instance id of this gateway
 * @param ticket a short-lived token for this stream's GET only ({@code ?ticket=})
 * @param expiresAt when the ticket expires
 * @param conversationId the conversation the answer is stored in (the request's, or a new one)
 */
public record HandshakeResult(
    String streamId,
    long generation,
    String node,
    String ticket,
    Instant expiresAt,
    String conversationId) {

  /** A result outside any conversation. */
  public HandshakeResult(
      String streamId, long generation, String node, String ticket, Instant expiresAt) {
    this(streamId, generation, node, ticket, expiresAt, null);
  }
}
