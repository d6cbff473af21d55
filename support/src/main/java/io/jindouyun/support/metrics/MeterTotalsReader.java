package io.jindouyun.support.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * Reads the agreed {@code jdy.*} meters from a {@link MeterRegistry}, summing across tags. A meter
 * that is absent reads as 0; whichever Micrometer type a service chose for a name is accepted (a
 * counter-like name may be a Counter, FunctionCounter, Timer or DistributionSummary; a gauge-like
 * name a Gauge, a LongTaskTimer's active tasks or a counter). The event-loop lag is the exception:
 * the largest of its gauges (in seconds, read as milliseconds), and -1 (unknown) when there is
 * none. A gateway counts chunks ({@value #CHUNKS}), a consumer tokens ({@value #TOKENS}): the
 * snapshot's token figure is whichever the service has. Stateless and thread-safe.
 */
public final class MeterTotalsReader {

  public static final String REQUESTS = "jdy.requests";
  public static final String REQUESTS_ACTIVE = "jdy.requests.active";
  public static final String STREAMS_ACTIVE = "jdy.streams.active";
  public static final String ERRORS = "jdy.errors";
  public static final String TTFT = "jdy.ttft";

  /** Tokens received from the LLM (llm-consumer). */
  public static final String TOKENS = "jdy.tokens";

  /** Chunks buffered for readers (stream-gateway): its tokens-per-second figure. */
  public static final String CHUNKS = "jdy.gateway.chunks";

  public static final String QUEUE_DEPTH = "jdy.queue.depth";
  public static final String CONSUMER_LAG = "jdy.consumer.lag";
  public static final String HANDSHAKES = "jdy.handshakes";
  public static final String HANDSHAKES_ACTIVE = "jdy.handshakes.active";
  public static final String EVENT_LOOP_LAG = "jdy.eventloop.lag";
  public static final String QUEUE_WAIT = "jdy.queue.wait";
  public static final String UPSTREAM_TTFT = "jdy.upstream.ttft";

  private MeterTotalsReader() {}

  /** The totals now. */
  public static MeterTotals read(MeterRegistry registry) {
    double[] requests = countAndTime(registry, REQUESTS);
    double[] ttft = countAndTime(registry, TTFT);
    double[] handshakes = countAndTime(registry, HANDSHAKES);
    double[] queueWait = countAndTime(registry, QUEUE_WAIT);
    double[] upstreamTtft = countAndTime(registry, UPSTREAM_TTFT);
    return new MeterTotals(
        (long) requests[0],
        requests[1],
        (long) value(registry, REQUESTS_ACTIVE),
        (long) value(registry, STREAMS_ACTIVE),
        (long) countAndTime(registry, ERRORS)[0],
        (long) ttft[0],
        ttft[1],
        amount(registry, TOKENS) + amount(registry, CHUNKS),
        (long) value(registry, QUEUE_DEPTH),
        (long) value(registry, CONSUMER_LAG),
        (long) handshakes[0],
        handshakes[1],
        (long) value(registry, HANDSHAKES_ACTIVE),
        millis(largest(registry, EVENT_LOOP_LAG)),
        (long) queueWait[0],
        queueWait[1],
        (long) upstreamTtft[0],
        upstreamTtft[1]);
  }

  /** {count, total milliseconds} of every meter named {@code name}. */
  private static double[] countAndTime(MeterRegistry registry, String name) {
    double count = 0;
    double millis = 0;
    for (Meter meter : registry.find(name).meters()) {
      if (meter instanceof Timer t) {
        count += t.count();
        millis += t.totalTime(TimeUnit.MILLISECONDS);
      } else if (meter instanceof FunctionTimer t) {
        count += t.count();
        millis += t.totalTime(TimeUnit.MILLISECONDS);
      } else if (meter instanceof DistributionSummary s) {
        count += s.count();
      } else if (meter instanceof Counter c) {
        count += c.count();
      } else if (meter instanceof FunctionCounter c) {
        count += c.count();
      }
    }
    return new double[] {count, millis};
  }

  /** Sum of amounts: a counter's count, a summary's total amount. */
  private static double amount(MeterRegistry registry, String name) {
    double total = 0;
    for (Meter meter : registry.find(name).meters()) {
      if (meter instanceof DistributionSummary s) {
        total += s.totalAmount();
      } else if (meter instanceof Counter c) {
        total += c.count();
      } else if (meter instanceof FunctionCounter c) {
        total += c.count();
      } else if (meter instanceof Timer t) {
        total += t.count();
      }
    }
    return total;
  }

  /**
   * Largest current value of the gauges named {@code name} (a lag is not additive: the worst one
   * counts); -1 when none is registered or none has a finite value.
   */
  private static double largest(MeterRegistry registry, String name) {
    double max = -1;
    for (Meter meter : registry.find(name).meters()) {
      double v = meter instanceof Gauge g ? g.value() : Double.NaN;
      if (Double.isFinite(v)) {
        max = Math.max(max, v);
      }
    }
    return max;
  }

  /** {@code seconds} in milliseconds; a negative value (unknown) stays -1. */
  private static double millis(double seconds) {
    return seconds < 0 ? -1 : seconds * 1000;
  }

  /** Sum of current values of gauge-like meters. */
  private static double value(MeterRegistry registry, String name) {
    double total = 0;
    for (Meter meter : registry.find(name).meters()) {
      double v = 0;
      if (meter instanceof Gauge g) {
        v = g.value();
      } else if (meter instanceof LongTaskTimer t) {
        v = t.activeTasks();
      } else if (meter instanceof Counter c) {
        v = c.count();
      } else if (meter instanceof FunctionCounter c) {
        v = c.count();
      }
      if (Double.isFinite(v)) {
        total += v;
      }
    }
    return total;
  }
}
