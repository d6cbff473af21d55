package io.jindouyun.support.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MeterTotalsReaderTests {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

  @Test
  void absentMetersReadAsZeroAndAnAbsentEventLoopLagAsUnknown() {
    MeterTotals totals = MeterTotalsReader.read(registry);

    assertThat(totals).isEqualTo(MeterTotals.ZERO);
    assertThat(totals.requests()).isZero();
    assertThat(totals.eventLoopLagMs()).isNegative();
  }

  @Test
  void theSignalMetersAreRead() {
    Timer handshakes = Timer.builder("jdy.handshakes").register(registry);
    handshakes.record(Duration.ofMillis(4));
    handshakes.record(Duration.ofMillis(6));
    Gauge.builder("jdy.handshakes.active", () -> 2).register(registry);
    Gauge.builder("jdy.eventloop.lag", () -> 0.0035).tag("loop", "a").register(registry);
    Gauge.builder("jdy.eventloop.lag", () -> 0.00725).tag("loop", "b").register(registry);
    Timer.builder("jdy.queue.wait").register(registry).record(Duration.ofMillis(30));
    Timer.builder("jdy.upstream.ttft").register(registry).record(Duration.ofMillis(80));

    MeterTotals totals = MeterTotalsReader.read(registry);

    assertThat(totals.handshakes()).isEqualTo(2);
    assertThat(totals.handshakeTimeMs()).isCloseTo(10.0, within(1e-6));
    assertThat(totals.handshakesActive()).isEqualTo(2);
    assertThat(totals.eventLoopLagMs())
        .as("the worst loop, not a sum, in milliseconds")
        .isCloseTo(7.25, within(1e-9));
    assertThat(totals.queueWaits()).isEqualTo(1);
    assertThat(totals.queueWaitTimeMs()).isCloseTo(30.0, within(1e-6));
    assertThat(totals.upstreamTtftCount()).isEqualTo(1);
    assertThat(totals.upstreamTtftTimeMs()).isCloseTo(80.0, within(1e-6));
  }

  @Test
  void metersAreSummedAcrossTags() {
    Timer.builder("jdy.requests").tag("path", "a").register(registry).record(Duration.ofMillis(10));
    Timer.builder("jdy.requests").tag("path", "b").register(registry).record(Duration.ofMillis(30));
    AtomicLong streamsA = new AtomicLong(2);
    AtomicLong streamsB = new AtomicLong(5);
    Gauge.builder("jdy.streams.active", streamsA, AtomicLong::get).tag("p", "a").register(registry);
    Gauge.builder("jdy.streams.active", streamsB, AtomicLong::get).tag("p", "b").register(registry);
    Counter.builder("jdy.errors").tag("kind", "x").register(registry).increment(2);
    Counter.builder("jdy.errors").tag("kind", "y").register(registry).increment(1);
    Counter.builder("jdy.tokens").register(registry).increment(40);
    Counter.builder("jdy.gateway.chunks").register(registry).increment(2);
    Timer.builder("jdy.ttft").register(registry).record(Duration.ofMillis(120));

    MeterTotals totals = MeterTotalsReader.read(registry);

    assertThat(totals.requests()).isEqualTo(2);
    assertThat(totals.requestTimeMs()).isCloseTo(40.0, within(1e-6));
    assertThat(totals.activeStreams()).isEqualTo(7);
    assertThat(totals.errors()).isEqualTo(3);
    assertThat(totals.tokens()).as("tokens and chunks").isEqualTo(42.0);
    assertThat(totals.ttftCount()).isEqualTo(1);
    assertThat(totals.ttftTimeMs()).isCloseTo(120.0, within(1e-6));
  }

  @Test
  void gaugesFollowTheirSourceAndASummaryCountsItsAmount() {
    AtomicLong depth = new AtomicLong(3);
    Gauge.builder("jdy.queue.depth", depth, AtomicLong::get).register(registry);
    Gauge.builder("jdy.consumer.lag", () -> 11).register(registry);
    Gauge.builder("jdy.requests.active", () -> 4).register(registry);
    DistributionSummary tokens = DistributionSummary.builder("jdy.tokens").register(registry);
    tokens.record(5);
    tokens.record(7);

    depth.set(9);
    MeterTotals totals = MeterTotalsReader.read(registry);

    assertThat(totals.queueDepth()).isEqualTo(9);
    assertThat(totals.consumerLag()).isEqualTo(11);
    assertThat(totals.inFlight()).isEqualTo(4);
    assertThat(totals.tokens()).isEqualTo(12.0);
  }
}
