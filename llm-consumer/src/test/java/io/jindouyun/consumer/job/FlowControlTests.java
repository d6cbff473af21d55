package io.jindouyun.consumer.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FlowControlTests {

  /** 8 running jobs, 10 uncommitted records per partition, polls of 2. */
  private final FlowControl.Limits limits = new FlowControl.Limits(8, 10, 2);

  private final AtomicInteger running = new AtomicInteger();
  private final Map<String, Integer> uncommitted = new HashMap<>();
  private final List<String> requests = new ArrayList<>();
  private final FlowControl<String> flow =
      new FlowControl<>(
          limits,
          running::get,
          p -> uncommitted.getOrDefault(p, 0),
          new FlowControl.Valve<>() {
            @Override
            public void pauseAll() {
              requests.add("pause all");
            }

            @Override
            public void resumeAll() {
              requests.add("resume all");
            }

            @Override
            public void pause(String partition) {
              requests.add("pause " + partition);
            }

            @Override
            public void resume(String partition) {
              requests.add("resume " + partition);
            }
          });

  @Test
  void finishedJobsBehindALongOnePauseOnlyTheirPartition() {
    running.set(1); // the long job, on p0; nine short ones behind it have finished
    uncommitted.put("p0", 9);

    flow.update("p0");

    assertThat(requests).containsExactly("pause p0");
    assertThat(flow.pausedPartitions()).containsExactly("p0");
    assertThat(flow.pausedAll()).isFalse();
  }

  @Test
  void aPartitionPausesWithAPollOfRoomLeftAndResumesWhenItsCommitMoves() {
    uncommitted.put("p0", 8);
    flow.update("p0");
    assertThat(requests).isEmpty();

    uncommitted.put("p0", 9);
    flow.update("p0");
    flow.update("p0");
    assertThat(requests).containsExactly("pause p0");

    uncommitted.put("p0", 0); // the long job ended: the whole prefix committed
    flow.update("p0");
    assertThat(requests).containsExactly("pause p0", "resume p0");
    assertThat(flow.pausedPartitions()).isEmpty();
  }

  @Test
  void theConsumerPausesOnlyWhenItsRunningJobsFillTheBudget() {
    uncommitted.put("p0", 3);
    running.set(6);
    flow.update("p0");
    assertThat(requests).isEmpty();

    running.set(7);
    flow.update("p0");
    assertThat(requests).containsExactly("pause all");

    running.set(6);
    flow.update("p1");
    assertThat(requests).containsExactly("pause all", "resume all");
  }

  @Test
  void aRevokedPausedPartitionIsResumedSoThatItComesBackUnpaused() {
    uncommitted.put("p0", 10);
    running.set(8);
    flow.update("p0");
    assertThat(requests).containsExactly("pause p0", "pause all");

    running.set(0); // its jobs were abandoned
    uncommitted.remove("p0");
    flow.forget(List.of("p0", "p1"));

    assertThat(requests).containsExactly("pause p0", "pause all", "resume p0", "resume all");
    assertThat(flow.pausedPartitions()).isEmpty();
    assertThat(flow.pausedAll()).isFalse();
  }

  @Test
  void aHeldConsumerTakesNoFurtherDecision() {
    running.set(8);
    flow.update("p0");
    flow.hold();

    running.set(0);
    flow.update("p0");
    flow.forget(List.of("p0"));

    assertThat(requests).containsExactly("pause all");
  }

  @Test
  void aPollMustFitBothBounds() {
    assertThatThrownBy(() -> new FlowControl.Limits(8, 4, 5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FlowControl.Limits(4, 8, 5))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FlowControl.Limits(4, 8, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
