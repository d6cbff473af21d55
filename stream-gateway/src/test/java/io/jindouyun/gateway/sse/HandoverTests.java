package io.jindouyun.gateway.sse;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.gateway.problem.ProblemException;
import io.jindouyun.gateway.problem.ProblemKind;
import java.net.URI;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.mock.web.reactive.function.server.MockServerRequest;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * How a reader of a gone gateway's stream is answered by a gateway that does not hold it when the
 * reader asks: come back (200 with a {@code retry:}) whenever the stream is or will be served here,
 * 404 only when nobody will serve it.
 */
class HandoverTests {

  private static final String STREAM = "gw-1~abc";
  private static final HandoverProperties PROPS =
      new HandoverProperties(
          Duration.ofMillis(400),
          Duration.ofMillis(50),
          Duration.ofSeconds(1),
          Duration.ofSeconds(1),
          Duration.ofSeconds(10));

  private final Set<String> catchingUp = ConcurrentHashMap.newKeySet();
  private final Set<String> held = ConcurrentHashMap.newKeySet();

  private Handover handover(StreamOwners owners) {
    return new Handover(
        "gw-2", owners, WebClient.create(), PROPS, catchingUp::contains, held::contains);
  }

  private static MockServerRequest reader() {
    return MockServerRequest.builder()
        .method(HttpMethod.GET)
        .uri(URI.create("http://127.0.0.1/v1/chat/stream/" + STREAM))
        .build();
  }

  private static Mono<ServerResponse> serve(Handover handover) {
    return handover.serve(
        reader(), STREAM, new ProblemException(ProblemKind.STREAM_NOT_FOUND, "no such stream"));
  }

  @Test
  void aStreamRebuiltHereAfterTheReaderMissedItSendsTheReaderBackInsteadOf404() {
    // the takeover caught up between the reader's look in the map and etcd's answer
    held.add(STREAM);
    StepVerifier.create(serve(handover(node -> done(new StreamOwners.Here()))))
        .assertNext(response -> assertThat(response.statusCode()).isEqualTo(HttpStatus.OK))
        .verifyComplete();
  }

  @Test
  void aGoneGatewayStillCaughtUpHereSendsTheReaderBack() {
    catchingUp.add("gw-1");
    StepVerifier.create(serve(handover(node -> done(new StreamOwners.Here()))))
        .assertNext(response -> assertThat(response.statusCode()).isEqualTo(HttpStatus.OK))
        .verifyComplete();
  }

  @Test
  void aStreamTakenOverHereButNotHeldIsNotFound() {
    StepVerifier.create(serve(handover(node -> done(new StreamOwners.Here()))))
        .expectErrorSatisfies(
            e -> assertThat(((ProblemException) e).kind()).isEqualTo(ProblemKind.STREAM_NOT_FOUND))
        .verify(Duration.ofSeconds(5));
  }

  @Test
  void aTakeoverPublishedWhileTheReaderWaitsSendsTheReaderBack() {
    AtomicInteger looks = new AtomicInteger();
    StreamOwners owners =
        node ->
            done(
                looks.incrementAndGet() < 3 ? new StreamOwners.Unknown() : new StreamOwners.Here());
    StepVerifier.create(serve(handover(owners)))
        .assertNext(response -> assertThat(response.statusCode()).isEqualTo(HttpStatus.OK))
        .verifyComplete();
    assertThat(looks).hasValue(3);
  }

  @Test
  void aGatewayNobodyTookOverIsLookedForThenNotFound() {
    AtomicInteger looks = new AtomicInteger();
    StreamOwners owners =
        node -> {
          looks.incrementAndGet();
          return done(new StreamOwners.Unknown());
        };
    StepVerifier.create(serve(handover(owners)))
        .expectError(ProblemException.class)
        .verify(Duration.ofSeconds(5));
    assertThat(looks.get()).isBetween(2, 9);
  }

  private static CompletableFuture<StreamOwners.Where> done(StreamOwners.Where where) {
    return CompletableFuture.completedFuture(where);
  }
}
