package io.jindouyun.gateway.kafka;

import io.jindouyun.gateway.handshake.ChatRequest;
import io.jindouyun.gateway.handshake.JobSender;
import io.jindouyun.gateway.handshake.JobSpec;
import io.jindouyun.proto.chat.v1.ChatJob;
import io.jindouyun.proto.chat.v1.ChatMessage;
import io.jindouyun.proto.chat.v1.ChatParams;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Puts jobs on the jobs topic (key: user id), addressed to this gateway's reply partition. The
 * producer is configured with {@code acks=all}, idempotence and {@code linger.ms=0}.
 */
public final class KafkaJobSender implements JobSender {

  private final KafkaTemplate<String, byte[]> template;
  private final ReplyProperties props;
  private final ReplyReader reader;

  /** A sender over {@code template}, replying to the partition {@code reader} reads. */
  public KafkaJobSender(
      KafkaTemplate<String, byte[]> template, ReplyProperties props, ReplyReader reader) {
    this.template = template;
    this.props = props;
    this.reader = reader;
  }

  /** Ready while the reply partition is being read: a job sent now would be answered. */
  @Override
  public boolean ready() {
    return reader.reading();
  }

  @Override
  public CompletableFuture<?> send(JobSpec spec) {
    int partition = reader.partition();
    if (partition < 0) {
      return CompletableFuture.failedFuture(
          new IllegalStateException("the reply partition is not claimed yet"));
    }
    ChatParams.Builder params = ChatParams.newBuilder();
    if (spec.maxTokens() != null) {
      params.setMaxTokens(spec.maxTokens());
    }
    if (spec.temperature() != null) {
      params.setTemperature(spec.temperature());
    }
    ChatJob.Builder job =
        ChatJob.newBuilder()
            .setStreamId(spec.streamId())
            .setUserId(spec.userId())
            .setGeneration(spec.generation())
            .setConversationId(spec.conversationId())
            .setModel(spec.model())
            .setParams(params)
            .setReplyTopic(props.repliesTopic())
            .setReplyPartition(partition)
            .setNode(spec.node())
            .setDeadlineMs(spec.deadlineMs())
            .setIndependent(spec.independent());
    for (ChatRequest.Message m : spec.history()) {
      job.addHistory(ChatMessage.newBuilder().setRole(m.role()).setContent(m.content()));
    }
    for (ChatRequest.Message m : spec.messages()) {
      job.addMessages(ChatMessage.newBuilder().setRole(m.role()).setContent(m.content()));
    }
    return template.send(
        new ProducerRecord<>(props.jobsTopic(), spec.userId(), job.build().toByteArray()));
  }
}
