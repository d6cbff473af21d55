package io.jindouyun.gateway.handshake;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Sends the job to Kafka and waits for the broker's ack, retrying with exponential backoff up to
 * the configured number of attempts. When every attempt fails the handshake fails with 503 (and the
 * open-generation stage rolls the generation back): a failed send is never reported as a success.
 */
final class SendJobStage implements HandshakeStage {

  static final int ORDER = 500;

  private final JobSender sender;
  private final HandshakeProperties props;
  private final String node;

  SendJobStage(JobSender sender, HandshakeProperties props, String node) {
    this.sender = sender;
    this.props = props;
    this.node = node;
  }

  @Override
  public int order() {
    return ORDER;
  }

  @Override
  public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
    ChatRequest req = ctx.request();
    JobSpec job =
        new JobSpec(
            ctx.generation().streamId(),
            ctx.userId(),
            ctx.generation().number(),
            ctx.conversationId() == null ? "" : ctx.conversationId(),
            req.messages(),
            ctx.model(),
            req.maxTokens(),
            req.temperature(),
            node,
            System.currentTimeMillis() + props.jobTtl().toMillis(),
            ctx.independent(),
            ctx.earlier());
    HandshakeProperties.Send send = props.send();
    return Mono.fromFuture(() -> sender.send(job))
        .subscribeOn(Schedulers.boundedElastic()) // the producer may wait for metadata
        .publishOn(Schedulers.parallel()) // answer off the producer's network thread
        .timeout(send.timeout())
        .retryWhen(
            Retry.backoff(send.attempts() - 1L, send.backoff())
                .maxBackoff(send.maxBackoff())
                .onRetryExhaustedThrow((spec, signal) -> signal.failure()))
        .onErrorMap(
            e ->
                new ProblemException(
                    ProblemKind.UNAVAILABLE,
                    "the job could not be queued; try again",
                    Duration.ofSeconds(1),
                    e))
        .then(chain.next(ctx));
  }
}
