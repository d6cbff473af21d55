package io.jindouyun.consumer.job;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jindouyun.consumer.llm.LlmRequest;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reads and checks {@code ChatJob} records and turns them into LLM requests. Stateless. */
public final class JobParser {

  /** Roles a message may have. */
  public static final Set<String> ROLES = Set.of("system", "user", "assistant", "developer");

  private final String defaultModel;

  /**
   * @param defaultModel model for jobs that name none
   */
  public JobParser(String defaultModel) {
    this.defaultModel = defaultModel;
  }

  /**
   * Parses a record value.
   *
   * @throws InvalidJobException when the bytes are not a {@code ChatJob}
   */
  public ChatJob parse(byte[] value) {
    if (value == null) {
      throw new InvalidJobException("the job record has no value", null);
    }
    try {
      return ChatJob.parseFrom(value);
    } catch (InvalidProtocolBufferException e) {
      throw new InvalidJobException("the job record is not a ChatJob: " + e.getMessage(), e);
    }
  }

  /** Whether an error chunk can reach the job's stream. */
  public boolean replyable(ChatJob job) {
    return !job.getStreamId().isEmpty() && !job.getReplyTopic().isEmpty();
  }

  /**
   * The LLM request of a job.
   *
   * @throws InvalidJobException when the job lacks a stream, a reply topic or messages
   */
  public LlmRequest request(ChatJob job) {
    if (!replyable(job)) {
      throw new InvalidJobException("the job has no stream id or reply topic", null);
    }
    if (job.getReplyPartition() < 0) {
      throw new InvalidJobException("the job's reply partition is negative", null);
    }
    if (job.getMessagesCount() == 0) {
      throw new InvalidJobException("the job has no messages", null);
    }
    List<LlmRequest.Message> messages =
        new ArrayList<>(job.getHistoryCount() + job.getMessagesCount());
    for (ChatMessage message : job.getHistoryList()) { // earlier turns first
      if (!ROLES.contains(message.getRole())) {
        throw new InvalidJobException(
            "unknown history message role '" + message.getRole() + "'", null);
      }
      messages.add(new LlmRequest.Message(message.getRole(), message.getContent()));
    }
    for (ChatMessage message : job.getMessagesList()) {
      if (!ROLES.contains(message.getRole())) {
        throw new InvalidJobException("unknown message role '" + message.getRole() + "'", null);
      }
      messages.add(new LlmRequest.Message(message.getRole(), message.getContent()));
    }
    String model = job.getModel().isBlank() ? defaultModel : job.getModel();
    Integer maxTokens =
        job.hasParams() && job.getParams().hasMaxTokens() ? job.getParams().getMaxTokens() : null;
    Double temperature =
        job.hasParams() && job.getParams().hasTemperature()
            ? job.getParams().getTemperature()
            : null;
    return new LlmRequest(model, messages, maxTokens, temperature);
  }
}
