package io.jindouyun.gateway.metrics;

import io.jindouyun.gateway.stream.StreamMap;
import io.jindouyun.gateway.stream.StreamMapListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The gateway's meters. The agreed names ({@code jdy.requests}, {@code jdy.requests.active}, {@code
 * jdy.streams.active}, {@code jdy.errors}, {@code jdy.ttft}, {@code jdy.handshakes}, {@code
 * jdy.handshakes.active}; {@code jdy.eventloop.lag} is {@link EventLoopLagProbe}'s) and {@code
 * jdy.gateway.chunks} (answer chunks, the snapshot's token figure) feed the metrics snapshot; the
 * other {@code jdy.gateway.*} are the gateway's own. Thread-safe: meters are created up front or
 * cached in concurrent maps with a fixed, small set of tag values.
 */
public final class GatewayMetrics implements StreamMapListener {

  private final MeterRegistry registry;
  private final Timer requests;
  private final AtomicInteger requestsActive = new AtomicInteger();
  private final Counter errors;
  private final Timer ttft;
  private final Timer handshakes;
  private final AtomicInteger handshakesActive = new AtomicInteger();
  private final Timer addedLatency;
  private final Counter tokens;
  private final Counter supersedes;
  private final Counter slotReuses;
  private final ConcurrentHashMap<String, Counter> tagged = new ConcurrentHashMap<>();

  /** Meters registered in {@code registry}. */
  public GatewayMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.requests =
        Timer.builder("jdy.requests").description("handled chat requests").register(registry);
    Gauge.builder("jdy.requests.active", requestsActive, AtomicInteger::get)
        .description("chat requests in flight")
        .register(registry);
    this.errors = Counter.builder("jdy.errors").description("problems answered").register(registry);
    this.ttft =
        Timer.builder("jdy.ttft")
            .description("handshake to first chunk written")
            .publishPercentileHistogram()
            .register(registry);
    this.handshakes =
        Timer.builder("jdy.handshakes")
            .description("handshake service time, request in to answer written, every outcome")
            .register(registry);
    Gauge.builder("jdy.handshakes.active", handshakesActive, AtomicInteger::get)
        .description("handshakes being served")
        .register(registry);
    this.addedLatency =
        Timer.builder("jdy.gateway.added.latency")
            .description("Kafka record timestamp to SSE write")
            .publishPercentileHistogram()
            .register(registry);
    this.tokens =
        Counter.builder("jdy.gateway.chunks")
            .description("answer chunks buffered for readers")
            .register(registry);
    this.supersedes = Counter.builder("jdy.gateway.supersedes").register(registry);
    this.slotReuses = Counter.builder("jdy.gateway.slot.reuses").register(registry);
  }

  /** Registers the gauges that read the stream map and the timer (the latter held strongly). */
  public void bind(StreamMap streams, LongSupplier pendingTimers) {
    Gauge.builder("jdy.streams.active", streams, StreamMap::activeStreams)
        .description("live streams")
        .register(registry);
    Gauge.builder("jdy.gateway.buffered.bytes", streams, StreamMap::bufferedBytes)
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("jdy.gateway.byte.budget", streams, StreamMap::byteBudget)
        .description("the global byte budget the buffered bytes count against")
        .baseUnit("bytes")
        .register(registry);
    Gauge.builder("jdy.gateway.users", streams, StreamMap::users).register(registry);
    // held strongly: the supplier is typically a method reference nothing else keeps, and a gauge
    // holds its object weakly by default (it would read NaN after the next garbage collection)
    Gauge.builder("jdy.gateway.timers.pending", pendingTimers, LongSupplier::getAsLong)
        .strongReference(true)
        .register(registry);
  }

  /** Marks a chat request started; returns its start time for {@link #requestEnded}. */
  public long requestStarted() {
    requestsActive.incrementAndGet();
    return System.nanoTime();
  }

  /** Marks a chat request ended. */
  public void requestEnded(long startNanos) {
    requestsActive.decrementAndGet();
    requests.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** Marks a handshake started; returns its start time for {@link #handshakeEnded}. */
  public long handshakeStarted() {
    handshakesActive.incrementAndGet();
    return System.nanoTime();
  }

  /** Marks a handshake answered (whatever the outcome) or abandoned by its client. */
  public void handshakeEnded(long startNanos) {
    handshakesActive.decrementAndGet();
    handshakes.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
  }

  /** Counts a problem answered or sent as an error event. */
  public void error() {
    errors.increment();
  }

  /** Records time to first token for one stream. */
  public void ttft(long nanos) {
    ttft.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** Records the time from a chunk's Kafka timestamp to its SSE write. */
  public void addedLatency(long millis) {
    addedLatency.record(Duration.ofMillis(Math.max(0, millis)));
  }

  @Override
  public void superseded() {
    supersedes.increment();
  }

  @Override
  public void cancelled(String reason) {
    counter("jdy.gateway.cancels", "reason", reason).increment();
  }

  @Override
  public void expired(String kind) {
    counter("jdy.gateway.expiries", "kind", kind).increment();
  }

  @Override
  public void resumed(boolean exact) {
    counter("jdy.gateway.resumes", "outcome", exact ? "ok" : "unrecoverable").increment();
  }

  @Override
  public void chunkApplied() {
    tokens.increment();
  }

  @Override
  public void chunkDropped(String reason) {
    counter("jdy.gateway.chunks.dropped", "reason", reason).increment();
  }

  @Override
  public void slotReused() {
    slotReuses.increment();
  }

  private Counter counter(String name, String tag, String value) {
    return tagged.computeIfAbsent(
        name + '|' + value, k -> Counter.builder(name).tag(tag, value).register(registry));
  }
}
