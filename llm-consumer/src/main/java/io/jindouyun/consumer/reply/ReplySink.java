package io.jindouyun.consumer.reply;

import io.jindouyun.proto.chat.v1.ChatChunk;
import java.util.concurrent.CompletableFuture;

/**
 * Where chunks go.
 *
 * <p>Contract: chunks sent for one stream id (the key) to one partition arrive there in the order
 * of the calls; the future completes when the broker has the chunk ({@code acks=all}) and fails
 * otherwise. A call may wait for producer metadata up to the producer's bound, so it is not made on
 * an I/O event loop.
 */
@FunctionalInterface
public interface ReplySink {

  /** Sends {@code chunk} to {@code topic}/{@code partition}, keyed by its stream id. */
  CompletableFuture<?> send(String topic, int partition, ChatChunk chunk);
}
