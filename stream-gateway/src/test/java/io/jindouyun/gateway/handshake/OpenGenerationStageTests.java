package io.jindouyun.gateway.handshake;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import io.jindouyun.gateway.stream.Generation;
import io.jindouyun.gateway.stream.GenerationClock;
import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.gateway.stream.StreamMapListener;
import io.jindouyun.gateway.stream.TestLimits;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** A handshake supersedes the user's running stream only once its job is sent. */
class OpenGenerationStageTests {

  private static final Duration WAIT = Duration.ofSeconds(1);

  private final List<String> cancels = new CopyOnWriteArrayList<>();
  private final StreamMap streams =
      new StreamMap(
          TestLimits.small(),
          GenerationClock.system(),
          (delay, task) -> {},
          (streamId, generation, reason) -> cancels.add(streamId + "/" + reason),
          StreamMapListener.NONE,
          System::nanoTime,
          System::currentTimeMillis);
  private final Generation running = streams.open("u1", "running").generation();

  private HandshakeChain chain(HandshakeStage send) {
    return HandshakeChain.of(
        List.of(new OpenGenerationStage(streams, "n"), send),
        ctx ->
            Mono.just(
                new HandshakeResult(
                    ctx.generation().streamId(),
                    ctx.generation().number(),
                    "n",
                    "t",
                    Instant.EPOCH)));
  }

  private static HandshakeContext user1() {
    return HandshakeContext.start(null, new byte[0]).withUserId("u1");
  }

  @Test
  void aFailedSendRollsTheNewGenerationBackAndLeavesTheRunningStreamAlone() {
    HandshakeStage failingSend =
        stage((ctx, next) -> Mono.error(new ProblemException(ProblemKind.UNAVAILABLE, "down")));
    StepVerifier.create(chain(failingSend).next(user1()))
        .expectErrorMatches(
            e -> e instanceof ProblemException p && p.kind() == ProblemKind.UNAVAILABLE)
        .verify(WAIT);
    assertThat(running.open()).isTrue();
    assertThat(streams.find("u1", "running")).isSameAs(running);
    assertThat(streams.activeStreams()).isEqualTo(1);
    assertThat(cancels)
        .singleElement()
        .asString()
        .endsWith("/unavailable")
        .doesNotContain("running");
  }

  @Test
  void theRunningStreamIsSupersededOnlyAfterTheSendSucceeded() {
    AtomicBoolean openDuringSend = new AtomicBoolean();
    HandshakeStage send =
        stage(
            (ctx, next) -> {
              openDuringSend.set(running.open());
              return next.next(ctx);
            });
    HandshakeResult result = chain(send).next(user1()).block(WAIT);
    assertThat(openDuringSend).isTrue();
    assertThat(running.open()).isFalse();
    assertThat(cancels).containsExactly("running/superseded");
    assertThat(streams.find("u1", result.streamId())).isNotNull();
  }

  @Test
  void anIndependentRequestSupersedesNothingAndItsCloseCancelsOnlyItself() {
    HandshakeStage send = stage((ctx, next) -> next.next(ctx));
    HandshakeContext api = HandshakeContext.independent(null, new byte[0]).withUserId("u1");
    HandshakeResult first = chain(send).next(api).block(WAIT);
    HandshakeResult second = chain(send).next(api).block(WAIT);

    assertThat(running.open()).isTrue();
    Generation a = streams.find("u1", first.streamId());
    Generation b = streams.find("u1", second.streamId());
    assertThat(a.open()).isTrue();
    assertThat(b.open()).isTrue();
    assertThat(cancels).isEmpty();

    streams.close(a);
    assertThat(cancels).containsExactly(first.streamId() + "/client");
    assertThat(streams.find("u1", first.streamId())).isNull();
    assertThat(b.open()).isTrue();
    assertThat(running.open()).isTrue();
  }

  private interface Step {
    Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain next);
  }

  private static HandshakeStage stage(Step step) {
    return new HandshakeStage() {
      @Override
      public int order() {
        return SendJobStage.ORDER;
      }

      @Override
      public Mono<HandshakeResult> apply(HandshakeContext ctx, HandshakeChain chain) {
        return step.apply(ctx, chain);
      }
    };
  }
}
