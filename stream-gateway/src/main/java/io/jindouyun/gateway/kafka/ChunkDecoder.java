package io.jindouyun.gateway.kafka;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.stream.IncomingChunk;
import io.jindouyun.gateway.stream.StreamProblem;
import io.jindouyun.gateway.stream.TokenUsage;
import io.jindouyun.proto.chat.v1.ChatChunk;
import io.jindouyun.proto.chat.v1.ChatError;

/** Turns a {@code ChatChunk} record value into an {@link IncomingChunk}. */
final class ChunkDecoder {

  /** A chunk and the user id it names (empty unless it is the first chunk of an attempt). */
  record Owned(String userId, IncomingChunk chunk) {}

  private ChunkDecoder() {}

  static IncomingChunk decode(byte[] value, long timestampMs)
      throws InvalidProtocolBufferException {
    return decode(ChatChunk.parseFrom(value), timestampMs);
  }

  /** Decodes a chunk with the owner it names, for a partition taken over from a gone gateway. */
  static Owned decodeOwned(byte[] value, long timestampMs) throws InvalidProtocolBufferException {
    ChatChunk c = ChatChunk.parseFrom(value);
    return new Owned(c.getUserId(), decode(c, timestampMs));
  }

  private static IncomingChunk decode(ChatChunk c, long timestampMs) {
    TokenUsage usage =
        c.hasUsage()
            ? new TokenUsage(
                c.getUsage().getPromptTokens(),
                c.getUsage().getCompletionTokens(),
                c.getUsage().getTotalTokens())
            : null;
    StreamProblem error = c.hasError() ? problem(c.getError()) : null;
    return new IncomingChunk(
        c.getStreamId(),
        c.getGeneration(),
        c.getAttempt(),
        c.getSeq(),
        c.getDelta(),
        c.getFinish(),
        usage,
        error,
        timestampMs);
  }

  private static StreamProblem problem(ChatError e) {
    ProblemKind fallback = ProblemKind.UPSTREAM;
    return new StreamProblem(
        e.getType().isEmpty() ? fallback.type() : e.getType(),
        e.getTitle().isEmpty() ? fallback.title() : e.getTitle(),
        e.getStatus() == 0 ? fallback.status() : e.getStatus(),
        e.getDetail());
  }
}
