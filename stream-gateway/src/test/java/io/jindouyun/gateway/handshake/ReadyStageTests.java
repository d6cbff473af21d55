package io.jindouyun.gateway.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class ReadyStageTests {

  private final AtomicBoolean ready = new AtomicBoolean();
  private final JobSender sender =
      new JobSender() {
        @Override
        public CompletableFuture<?> send(JobSpec job) {
          return CompletableFuture.completedFuture(null);
        }

        @Override
        public boolean ready() {
          return ready.get();
        }
      };
  private final HandshakeChain chain =
      HandshakeChain.of(
          List.of(new ReadyStage(sender)),
          ctx -> Mono.just(new HandshakeResult("n~x", 1, "n", "t", Instant.EPOCH)));

  @Test
  void aHandshakeWhileNoRepliesAreReadIsRefusedWith503AndRetryAfter() {
    StepVerifier.create(chain.next(HandshakeContext.start(null, new byte[0])))
        .expectErrorSatisfies(
            e ->
                assertThat(e)
                    .isInstanceOfSatisfying(
                        ProblemException.class,
                        p -> {
                          assertThat(p.kind()).isEqualTo(ProblemKind.UNAVAILABLE);
                          assertThat(p.retryAfter()).isPositive();
                        }))
        .verify(Duration.ofSeconds(1));
  }

  @Test
  void aHandshakeWhileRepliesAreReadGoesOn() {
    ready.set(true);
    StepVerifier.create(chain.next(HandshakeContext.start(null, new byte[0])))
        .expectNextCount(1)
        .verifyComplete();
  }

  @Test
  void itRunsBeforeTheRateLimitAndTheGeneration() {
    assertThat(ReadyStage.ORDER)
        .isLessThan(RateLimitStage.ORDER)
        .isLessThan(OpenGenerationStage.ORDER);
  }
}
