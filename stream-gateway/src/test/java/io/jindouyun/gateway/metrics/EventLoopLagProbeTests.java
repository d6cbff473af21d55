package io.jindouyun.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class EventLoopLagProbeTests {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final DefaultEventExecutorGroup loops = new DefaultEventExecutorGroup(2);
  private final EventLoopLagProbe probe =
      new EventLoopLagProbe(loops, Duration.ofMillis(20), registry);

  @AfterEach
  void shutDown() throws InterruptedException {
    probe.stop();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
  }

  /** The gauge (seconds) in milliseconds; -1 stays -1 (unknown). */
  private double lag() {
    double seconds = registry.get("jdy.eventloop.lag").gauge().value();
    return seconds < 0 ? seconds : seconds * 1000;
  }

  @Test
  void unknownUntilStartedAndAfterStopped() {
    assertThat(lag()).isEqualTo(-1);

    probe.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> lag() >= 0);

    probe.stop();
    assertThat(lag()).isEqualTo(-1);
  }

  @Test
  void idleLoopsShowAlmostNoLag() {
    probe.start();

    await()
        .atMost(Duration.ofSeconds(5))
        .during(Duration.ofMillis(300))
        .untilAsserted(() -> assertThat(lag()).isBetween(0.0, 50.0));
  }

  @Test
  void aBlockedLoopShowsItsDelayWhileBlockedAndForASecondAfter() throws InterruptedException {
    probe.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> lag() >= 0);
    CountDownLatch release = new CountDownLatch(1);
    EventExecutor blocked = loops.next();
    blocked.execute(
        () -> {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });

    // while it is blocked, its overdue probe counts: the lag grows with the block
    await().atMost(Duration.ofSeconds(5)).until(() -> lag() >= 300);
    release.countDown();

    // the late probe's sample stays in the window after the loop is free again ...
    assertThat(lag()).isGreaterThanOrEqualTo(250);
    // ... and ages out of it within about a second
    await().atMost(Duration.ofSeconds(5)).until(() -> lag() < 50);
  }

  @Test
  void stoppingEndsTheProbesOnEveryLoop() {
    probe.start();
    await().atMost(Duration.ofSeconds(5)).until(() -> probe.probesRun() >= 10);

    probe.stop();
    long afterStop = probe.probesRun();

    // a probe already running when stop() came may still record once, but none reschedules
    await()
        .atMost(Duration.ofSeconds(5))
        .during(Duration.ofMillis(300))
        .until(() -> probe.probesRun() <= afterStop + 2);
    assertThat(probe.isRunning()).isFalse();
    assertThat(lag()).isEqualTo(-1);
  }
}
