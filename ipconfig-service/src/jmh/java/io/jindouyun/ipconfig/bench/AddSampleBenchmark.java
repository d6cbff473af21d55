package io.jindouyun.ipconfig.bench;

import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import io.jindouyun.ipconfig.scoring.SlidingWindow;
import io.jindouyun.ipconfig.scoring.TtftFit;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of adding one sample. {@code window}: one value into one {@link SlidingWindow} (time moves
 * 100 ms per sample, so a bucket is evicted every 10th call). {@code snapshot}: one exporter
 * snapshot into an instance's windows (5 metrics × 3 windows: 10 s, 60 s, 300 s; and 9 signals × 2
 * recent windows: 3 s, 15 s; time moves 1 s per sample). {@code fit}: one observation into the
 * service's TTFT fit ({@link TtftFit}, 8 regressors). {@code snapshotAndFit}: both, what {@code
 * RankingState.putMetrics} does under its lock. {@code baseline}: a plain array update, the floor
 * of any add.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AddSampleBenchmark {

  private static final List<WindowSpec> WINDOWS =
      List.of(
          new WindowSpec(10_000, 0.5, 10),
          new WindowSpec(60_000, 0.3, 10),
          new WindowSpec(300_000, 0.2, 10));

  private SlidingWindow window;
  private InstanceStats stats;
  private InstanceStats fitStats;
  private TtftFit fit;
  private TtftFit bothFit;
  private final double[] plain = new double[64];
  private long windowClock;
  private long snapshotClock;
  private long fitClock;
  private long bothClock;
  private long requests;

  @Setup
  public void setUp() {
    window = new SlidingWindow(1_000, 10, 5);
    stats = new InstanceStats(WINDOWS);
    fitStats = new InstanceStats(WINDOWS);
    fit = new TtftFit(0.995, 1e4);
    bothFit = new TtftFit(0.995, 1e4);
  }

  private static MetricsSample sample(long clock, long requests) {
    // Signals vary with the clock so that the fit keeps working (no constant regressor).
    double phase = (clock / 1_000) % 7;
    return new MetricsSample(
        clock,
        0.3,
        400_000_000,
        1_000_000_000,
        requests,
        12,
        30,
        requests / 50,
        120 + 10 * phase,
        2 + phase,
        5 + 2 * phase,
        1 + (long) phase,
        0.05 * phase,
        1.5,
        0,
        0);
  }

  @Benchmark
  public boolean window() {
    windowClock += 100;
    return window.add(windowClock, 2, 0.25, 1);
  }

  @Benchmark
  public boolean snapshot() {
    snapshotClock += 1_000;
    requests += 100;
    return stats.record(sample(snapshotClock, requests), snapshotClock);
  }

  @Benchmark
  public boolean fit() {
    fitClock += 1_000;
    return fit.add(sample(fitClock, fitClock / 10));
  }

  @Benchmark
  public boolean snapshotAndFit() {
    bothClock += 1_000;
    MetricsSample s = sample(bothClock, bothClock / 10);
    return fitStats.record(s, bothClock) & bothFit.add(s);
  }

  @Benchmark
  public double baseline() {
    windowClock += 100;
    int i = (int) (windowClock & 63);
    plain[i] += 0.25;
    return plain[i];
  }
}
