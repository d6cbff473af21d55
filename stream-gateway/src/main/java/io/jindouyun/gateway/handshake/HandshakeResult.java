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
 */
public record HandshakeResult(
    String streamId, long generation, String node, String ticket, Instant expiresAt) {}
