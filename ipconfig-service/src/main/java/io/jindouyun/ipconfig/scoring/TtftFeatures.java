package io.jindouyun.ipconfig.scoring;

/**
 * The regressors of the TTFT fit ({@link TtftFit}), in this order:
 *
 * <ol start="0">
 *   <li>{@code intercept}: 1;
 *   <li>{@code lag}: event-loop lag p99, ms;
 *   <li>{@code handshake}: average handshake service time, ms (0 when there was none);
 *   <li>{@code load}: handshakes in flight plus active streams;
 *   <li>{@code throttled}: share of CFS periods throttled, 0..1 (0 when unknown);
 *   <li>{@code gc}: GC pause, ms per second (0 when unknown);
 *   <li>{@code queue_wait}: llm-consumer queue wait, ms (0 when none);
 *   <li>{@code upstream_ttft}: llm-consumer upstream LLM TTFT, ms (0 when none).
 * </ol>
 *
 * Process CPU is deliberately not a regressor: a CPU-starved (throttled) process shows
 * <em>less</em> CPU while it gets slower, so CPU is not monotone in TTFT; the throttled share says
 * what CPU cannot. A gateway reports 0 for the llm-consumer's regressors and the other way round:
 * each service has its own fit, where the other's columns are constant and stay at their prior.
 *
 * <p>The fit works on scaled values (each divided by {@link #scale}) so that the regressors have
 * comparable magnitudes; coefficients are reported in natural units (ms of TTFT per unit). The
 * target, TTFT, is scaled by {@link #TTFT_SCALE}. Stateless.
 */
public final class TtftFeatures {

  /** Number of regressors, intercept included. */
  public static final int COUNT = 8;

  /** Names of the regressors, in order. */
  public static final String[] NAMES = {
    "intercept", "lag", "handshake", "load", "throttled", "gc", "queue_wait", "upstream_ttft"
  };

  /** Scale of the target (TTFT, ms) inside the fit. */
  public static final double TTFT_SCALE = 100;

  private static final double[] SCALE = {1, 100, 100, 100, 1, 10, 100, 100};
  private static final double[] INVERSE = {1, 0.01, 0.01, 0.01, 1, 0.1, 0.01, 0.01};

  private TtftFeatures() {}

  /** Scale of regressor {@code j} inside the fit (its natural unit per fit unit). */
  public static double scale(int j) {
    return SCALE[j];
  }

  /** Writes the scaled regressors of one sample into {@code x} (length {@link #COUNT}). */
  public static void ofSample(MetricsSample s, double[] x) {
    x[0] = 1;
    x[1] = known(s.eventLoopLagMillis()) * INVERSE[1];
    x[2] = s.avgHandshakeMillis() * INVERSE[2];
    x[3] = (double) (s.handshakesInFlight() + s.activeStreams()) * INVERSE[3];
    x[4] = known(Math.min(1, s.cpuThrottled())) * INVERSE[4];
    x[5] = known(s.gcPauseMillisPerSecond()) * INVERSE[5];
    x[6] = s.avgQueueWaitMillis() * INVERSE[6];
    x[7] = s.avgUpstreamTtftMillis() * INVERSE[7];
  }

  /**
   * Writes the scaled regressors of recent window {@code window} of {@code stats} into {@code x}; a
   * signal without a value in the window counts as 0.
   */
  public static void ofWindow(InstanceStats stats, int window, long nowMillis, double[] x) {
    x[0] = 1;
    x[1] = value(stats, window, Signal.LAG, nowMillis) * INVERSE[1];
    x[2] = value(stats, window, Signal.HANDSHAKE, nowMillis) * INVERSE[2];
    x[3] = value(stats, window, Signal.LOAD, nowMillis) * INVERSE[3];
    x[4] = value(stats, window, Signal.THROTTLED, nowMillis) * INVERSE[4];
    x[5] = value(stats, window, Signal.GC, nowMillis) * INVERSE[5];
    x[6] = value(stats, window, Signal.QUEUE_WAIT, nowMillis) * INVERSE[6];
    x[7] = value(stats, window, Signal.UPSTREAM_TTFT, nowMillis) * INVERSE[7];
  }

  private static double value(InstanceStats stats, int window, Signal signal, long nowMillis) {
    double v = stats.recent(window, signal, nowMillis);
    return Double.isNaN(v) ? 0 : v;
  }

  private static double known(double v) {
    return v > 0 ? v : 0;
  }
}
