package io.jindouyun.consumer.job;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The consumer's meters, with the names the metrics library reads: {@code jdy.requests} (a job from
 * start to end, tagged by outcome), {@code jdy.ttft} (job start, when its record is handed to the
 * runner, to its first token, retries included), {@code jdy.queue.wait} (the job record's Kafka
 * timestamp, which the gateway's producer sets at the handshake, to the start of the job's first
 * LLM call), {@code jdy.upstream.ttft} (an LLM call started to its first token, for the call that
 * produced one), {@code jdy.tokens} (token deltas received from the LLM), {@code jdy.errors}
 * (tagged by kind). The gauges ({@code jdy.requests.active}, {@code jdy.queue.depth}, {@code
 * jdy.consumer.lag}) are registered where their state lives. Thread-safe.
 */
public final class JobMetrics {

  private final MeterRegistry registry;
  private final Timer ttft;
  private final Timer queueWait;
  private final Timer upstreamTtft;
  private final Counter tokens;
  private final ConcurrentMap<JobOutcome, Timer> requests = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, Counter> errors = new ConcurrentHashMap<>();

  public JobMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.ttft =
        Timer.builder("jdy.ttft").description("job start to first token").register(registry);
    this.queueWait =
        Timer.builder("jdy.queue.wait")
            .description("job record timestamp to the start of its LLM call")
            .register(registry);
    this.upstreamTtft =
        Timer.builder("jdy.upstream.ttft")
            .description("LLM call started to its first token")
            .register(registry);
    this.tokens =
        Counter.builder("jdy.tokens").description("token deltas from the LLM").register(registry);
  }

  /** The registry, for gauges. */
  public MeterRegistry registry() {
    return registry;
  }

  void firstToken(long nanos) {
    ttft.record(Duration.ofNanos(nanos));
  }

  void queueWait(long millis) {
    queueWait.record(Duration.ofMillis(Math.max(0, millis)));
  }

  void upstreamFirstToken(long nanos) {
    upstreamTtft.record(Duration.ofNanos(Math.max(0, nanos)));
  }

  void token() {
    tokens.increment();
  }

  void finished(JobOutcome outcome, long nanos) {
    requests
        .computeIfAbsent(
            outcome,
            o ->
                Timer.builder("jdy.requests")
                    .description("chat jobs handled, start to end")
                    .tag("outcome", o.name().toLowerCase(Locale.ROOT))
                    .register(registry))
        .record(Duration.ofNanos(nanos));
  }

  /** Counts an error of {@code kind}. */
  public void error(String kind) {
    errors
        .computeIfAbsent(
            kind,
            k ->
                Counter.builder("jdy.errors")
                    .description("errors")
                    .tag("kind", k)
                    .register(registry))
        .increment();
  }
}
