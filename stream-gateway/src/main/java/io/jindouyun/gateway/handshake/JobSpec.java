package io.jindouyun.gateway.handshake;

import java.util.List;

/**
 * What the LLM consumer needs to produce one answer; the sender adds the reply address.
 *
 * @param streamId the stream
 * @param userId the owner (the record key)
 * @param generation the generation the chunks must carry
 * @param conversationId optional conversation id ("" if none)
 * @param messages the conversation
 * @param model the model
 * @param maxTokens optional bound on the answer's tokens
 * @param temperature optional sampling temperature
 * @param node this gateway's instance id
 * @param deadlineMs after this (epoch millis) nobody will read the answer
 * @param independent an API request, outside the user's order of jobs (see {@link
 *     HandshakeContext#independent})
 * @param history the conversation's earlier turns, oldest first (sent to the LLM before {@code
 *     messages})
 */
public record JobSpec(
    String streamId,
    String userId,
    long generation,
    String conversationId,
    List<ChatRequest.Message> messages,
    String model,
    Integer maxTokens,
    Double temperature,
    String node,
    long deadlineMs,
    boolean independent,
    List<ChatRequest.Message> history) {}
