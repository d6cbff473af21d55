package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UserOrderTests {

  private static final JobKey OLD = new JobKey("gw-1~a", 1000);
  private static final JobKey NEW = new JobKey("gw-2~b", 7);

  private final UserOrder<String> order = new UserOrder<>(4);

  @Test
  void aNewerJobOfTheUserSupersedesTheOlderRunningOneWhicheverGatewaySentIt() {
    assertThat(order.arrive("ada", 3, 10, OLD))
        .isEqualTo(new UserOrder.Admission<>(UserOrder.Verdict.RUN, null));
    order.started("ada", 3, 10, OLD, "old-run");

    UserOrder.Admission<String> newer = order.arrive("ada", 3, 11, NEW);

    assertThat(newer.verdict()).isEqualTo(UserOrder.Verdict.RUN);
    assertThat(newer.supersede()).isEqualTo("old-run");
    assertThat(order.running()).isZero();
  }

  @Test
  void theOffsetDecidesNotTheGenerationNumber() {
    order.arrive("ada", 3, 11, NEW);
    order.started("ada", 3, 11, NEW, "new-run");

    assertThat(order.arrive("ada", 3, 10, OLD).verdict()).isEqualTo(UserOrder.Verdict.STALE);
    assertThat(order.running()).isEqualTo(1);
  }

  @Test
  void aRedeliveredOlderJobIsStaleEvenAfterTheNewerOneEnded() {
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "old-run");
    order.arrive("ada", 3, 11, NEW);
    order.started("ada", 3, 11, NEW, "new-run");
    order.ended("ada", "new-run");

    assertThat(order.stale("ada", 3, 10)).isTrue();
    assertThat(order.arrive("ada", 3, 10, OLD).verdict()).isEqualTo(UserOrder.Verdict.STALE);
    assertThat(order.stale("ada", 3, 11)).isFalse();
  }

  @Test
  void theNewestRecordDeliveredAgainCountsAsAdmittedAlready() {
    order.arrive("ada", 3, 10, OLD);

    assertThat(order.admitted("ada", 3, 10)).isTrue();
    assertThat(order.admitted("ada", 3, 11)).isFalse();
    assertThat(order.admitted("ada", 4, 10)).isFalse();
    assertThat(order.admitted("bo", 3, 10)).isFalse();
  }

  @Test
  void theSameJobDeliveredAgainSupersedesNothing() {
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "first-copy");

    UserOrder.Admission<String> again = order.arrive("ada", 3, 12, OLD);

    assertThat(again).isEqualTo(new UserOrder.Admission<>(UserOrder.Verdict.RUN, null));
    assertThat(order.running()).isEqualTo(1);
  }

  @Test
  void anEndedJobIsNoLongerSuperseded() {
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "old-run");
    order.ended("ada", "old-run");

    assertThat(order.arrive("ada", 3, 11, NEW).supersede()).isNull();
  }

  @Test
  void theEndOfAReplacedCopyLeavesTheRunningOneAlone() {
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "abandoned-copy");
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "redelivered-copy");
    order.ended("ada", "abandoned-copy");

    assertThat(order.arrive("ada", 3, 11, NEW).supersede()).isEqualTo("redelivered-copy");
  }

  @Test
  void usersAreOrderedApart() {
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "ada-run");

    UserOrder.Admission<String> bo = order.arrive("bo", 3, 11, NEW);

    assertThat(bo.supersede()).isNull();
    assertThat(order.running()).isEqualTo(1);
  }

  @Test
  void offsetsOfAnotherPartitionAreNotCompared() {
    order.arrive("ada", 3, 100, OLD);

    assertThat(order.arrive("ada", 4, 5, NEW).verdict()).isEqualTo(UserOrder.Verdict.RUN);
  }

  @Test
  void theMemoryIsBoundedAndForgetsTheLeastRecentlyUsedUser() {
    for (int i = 0; i < 6; i++) {
      order.arrive("user-" + i, 0, 10 + i, new JobKey("s" + i, 1));
    }

    assertThat(order.remembered()).isEqualTo(4);
    assertThat(order.stale("user-0", 0, 1)).isFalse();
    assertThat(order.stale("user-5", 0, 1)).isTrue();
  }

  @Test
  void aForgottenUsersRunningJobIsStillSupersededAndStillGuardsItsOrder() {
    order.arrive("ada", 3, 10, OLD);
    order.started("ada", 3, 10, OLD, "old-run");
    for (int i = 0; i < 4; i++) {
      order.arrive("user-" + i, 0, i, new JobKey("s" + i, 1));
    }

    assertThat(order.stale("ada", 3, 9)).isTrue();
    assertThat(order.arrive("ada", 3, 11, NEW).supersede()).isEqualTo("old-run");
  }

  @Test
  void aMemoryOfNoUserIsRefused() {
    assertThatThrownBy(() -> new UserOrder<String>(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
