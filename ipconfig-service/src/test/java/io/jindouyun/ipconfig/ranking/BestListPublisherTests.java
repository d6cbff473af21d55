package io.jindouyun.ipconfig.ranking;

import static org.assertj.core.api.Assertions.assertThat;

import io.jindouyun.contract.InstanceRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class BestListPublisherTests {

  private final BestListPublisher publisher =
      new BestListPublisher(Clock.fixed(Instant.EPOCH, ZoneOffset.UTC), 1);

  private static RankedList list(int weight) {
    InstanceRecord a = new InstanceRecord("a", "svc", "h", 1, 0, "", "", "");
    return new RankedList(Strategy.SCORE, List.of(new RankedList.Entry(a, weight, 0.5, false)));
  }

  @Test
  void bumpsTheVersionOnlyOfTheServiceThatChanged() {
    assertThat(publisher.publish(Map.of("x", list(100), "y", list(100)), false)).isTrue();
    assertThat(publisher.current().version()).isEqualTo(1);
    assertThat(publisher.publish(Map.of("x", list(100), "y", list(100)), false)).isFalse();
    assertThat(publisher.publish(Map.of("x", list(100), "y", list(50)), false)).isTrue();
    BestLists now = publisher.current();
    assertThat(now.version()).isEqualTo(2);
    assertThat(now.services().get("x").version()).isEqualTo(1);
    assertThat(now.services().get("y").version()).isEqualTo(2);
  }

  @Test
  void isRankedFromTheFirstListsRankedOnEtcdsStateOnward() {
    assertThat(publisher.ranked()).isFalse();
    publisher.publish(Map.of("x", list(100)), true);
    assertThat(publisher.ranked()).as("a stale first list").isFalse();

    publisher.publish(Map.of("x", list(100)), false);
    publisher.publish(Map.of("x", list(100)), true);

    assertThat(publisher.ranked()).isTrue();
  }

  @Test
  void staleFlagChangeIsANewVersion() {
    publisher.publish(Map.of("x", list(100)), false);
    assertThat(publisher.publish(Map.of("x", list(100)), true)).isTrue();
    assertThat(publisher.current().services().get("x").stale()).isTrue();
  }

  @Test
  void waiterGetsTheNextChangeAndTheBoundIsEnforced() {
    publisher.publish(Map.of("x", list(100)), false);
    StepVerifier.create(publisher.awaitChange(b -> b.version() > 1))
        .then(() -> assertThat(publisher.waiters()).isEqualTo(1))
        .then(
            () ->
                StepVerifier.create(publisher.awaitChange(b -> true))
                    .expectError(BestListPublisher.TooManyWaitersException.class)
                    .verify(Duration.ofSeconds(1)))
        .then(() -> publisher.publish(Map.of("x", list(50)), false))
        .assertNext(b -> assertThat(b.version()).isEqualTo(2))
        .expectComplete()
        .verify(Duration.ofSeconds(2));
    assertThat(publisher.waiters()).isZero();
  }

  @Test
  void waiterAnswersAtOnceWhenAlreadyChanged() {
    publisher.publish(Map.of("x", list(100)), false);
    StepVerifier.create(publisher.awaitChange(b -> b.version() >= 1))
        .assertNext(b -> assertThat(b.version()).isEqualTo(1))
        .expectComplete()
        .verify(Duration.ofSeconds(1));
  }
}
