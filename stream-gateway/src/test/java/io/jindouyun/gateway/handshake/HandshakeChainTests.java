package io.jindouyun.gateway.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class HandshakeChainTests {

  private final List<String> ran = new CopyOnWriteArrayList<>();

  private HandshakeStage stage(String name, int order) {
    return new HandshakeStage() {
      @Override
      public int order() {
        return order;
      }

      @Override
      public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
        ran.add(name);
        return chain.next(ctx);
      }
    };
  }

  private Mono<HandshakeResult> done(HandshakeContext ctx) {
    ran.add("terminal");
    return Mono.just(new HandshakeResult("n~x", 1, "n", "t", Instant.EPOCH));
  }

  @Test
  void stagesRunInAscendingOrderThenTheTerminalStep() {
    HandshakeChain chain =
        HandshakeChain.of(List.of(stage("c", 300), stage("a", 100), stage("b", 200)), this::done);
    StepVerifier.create(chain.next(HandshakeContext.start(null, new byte[0])))
        .expectNextCount(1)
        .verifyComplete();
    assertThat(ran).containsExactly("a", "b", "c", "terminal");
  }

  @Test
  void nothingRunsBeforeSubscriptionAndOneChainServesManyHandshakes() {
    HandshakeChain chain = HandshakeChain.of(List.of(stage("a", 100)), this::done);
    Mono<HandshakeResult> first = chain.next(HandshakeContext.start(null, new byte[0]));
    assertThat(ran).isEmpty();
    first.block(Duration.ofSeconds(1));
    chain.next(HandshakeContext.start(null, new byte[0])).block(Duration.ofSeconds(1));
    assertThat(ran).containsExactly("a", "terminal", "a", "terminal");
  }

  @Test
  void aStageThatEndsTheChainStopsLaterStages() {
    HandshakeStage refuse =
        new HandshakeStage() {
          @Override
          public int order() {
            return 150;
          }

          @Override
          public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
            return Mono.error(new ProblemException(ProblemKind.RATE_LIMITED, "no"));
          }
        };
    HandshakeChain chain =
        HandshakeChain.of(List.of(stage("a", 100), refuse, stage("b", 200)), this::done);
    StepVerifier.create(chain.next(HandshakeContext.start(null, new byte[0])))
        .expectErrorMatches(
            e -> e instanceof ProblemException p && p.kind() == ProblemKind.RATE_LIMITED)
        .verify(Duration.ofSeconds(1));
    assertThat(ran).containsExactly("a");
  }

  @Test
  void theBuiltInStagesHaveGappedOrders() {
    assertThat(
            List.of(
                AuthenticateStage.ORDER,
                ValidateStage.ORDER,
                RateLimitStage.ORDER,
                OpenGenerationStage.ORDER,
                SendJobStage.ORDER))
        .containsExactly(100, 200, 300, 400, 500);
  }

  @Test
  void streamIdsCarryTheNodeAnd16RandomBytes() {
    String id = StreamIds.next("gw-1");
    assertThat(id).matches("gw-1~[A-Za-z0-9_-]{22}");
    assertThat(StreamIds.next("gw-1")).isNotEqualTo(id);
  }
}
