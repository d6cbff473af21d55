package io.jindouyun.ipconfig.bench;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.ranking.RankedList;
import io.jindouyun.ipconfig.ranking.Ranker;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.ranking.ServiceSpec;
import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of recomputing a service's best list ({@link RankingState#rankAll()}: per instance the prior
 * score over 5 metrics × 3 windows, the observed TTFT and the fit's prediction from the fast
 * window's signals; the relative weights, sort, cut to the list size, weights through the
 * hysteresis, the churn count) for 100, 1,000 and 10,000 instances, each with 30 samples in its
 * windows (the fit is ready). {@code baselineSort}: sorting the same number of doubles, for scale.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecomputeBenchmark {

  private static final String SERVICE = "stream-gateway";

  @Param({"100", "1000", "10000"})
  public int instances;

  private RankingState state;
  private double[] doubles;
  private final long[] clock = {0};

  @Setup
  public void setUp() {
    List<WindowSpec> windows =
        List.of(
            new WindowSpec(10_000, 0.5, 10),
            new WindowSpec(60_000, 0.3, 10),
            new WindowSpec(300_000, 0.2, 10));
    Map<Metric, MetricSpec> metrics =
        Map.of(
            Metric.CPU, new MetricSpec(2, 1),
            Metric.MEMORY, new MetricSpec(1, 1),
            Metric.INFLIGHT, new MetricSpec(2, 500),
            Metric.TTFT, new MetricSpec(2, 2000),
            Metric.ERRORS, new MetricSpec(2, 0.5));
    ScoringPolicy policy = new ScoringPolicy(windows, metrics, 0.1, 0.5, 15_000, 2);
    state =
        new RankingState(
            List.of(new ServiceSpec(SERVICE, 10, List.of())),
            new Ranker(new Scorer(policy)),
            20_000,
            () -> clock[0],
            () -> {});
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < instances; i++) {
      String id = "gw-" + i;
      state.putInstance(
          new InstanceRecord(id, SERVICE, "10.0.0." + (i % 250), 8081, 9081, "", "", ""));
    }
    for (int s = 0; s < 30; s++) {
      clock[0] = s * 1_000L;
      for (int i = 0; i < instances; i++) {
        state.putMetrics(
            SERVICE,
            "gw-" + i,
            new MetricsSample(
                clock[0] + 1,
                random.nextDouble(),
                random.nextLong(1_000_000_000),
                1_000_000_000,
                s * 100L,
                random.nextLong(50),
                random.nextLong(500),
                s * random.nextLong(5),
                100 + random.nextDouble(900),
                random.nextDouble(50),
                random.nextDouble(100),
                random.nextLong(10),
                random.nextDouble(),
                random.nextDouble(10),
                0,
                0));
      }
    }
    doubles = random.doubles(instances).toArray();
  }

  @Benchmark
  public Map<String, RankedList> recompute() {
    return state.rankAll();
  }

  @Benchmark
  public double[] baselineSort() {
    double[] copy = doubles.clone();
    Arrays.sort(copy);
    return copy;
  }
}
