package io.jindouyun.ipconfig.ranking;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import io.jindouyun.ipconfig.scoring.SlidingWindows;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The predicted-TTFT weights of {@link Ranker} with its {@link ServiceModel}. */
class PredictedWeightsTests {

  private static final List<WindowSpec> WINDOWS = List.of(new WindowSpec(10_000, 1, 10));
  private final Map<String, InstanceStats> stats = new HashMap<>();
  private long timestamp;

  private static Ranker ranker(int minSamples, double hysteresis, double risePerSecond) {
    ScoringPolicy.Prediction prediction =
        new ScoringPolicy.Prediction(
            new WindowSpec(3_000, 1, 3),
            new WindowSpec(15_000, 1, 15),
            0.99,
            minSamples,
            1.5,
            20,
            hysteresis,
            risePerSecond,
            6);
    return new Ranker(
        new Scorer(
            new ScoringPolicy(
                WINDOWS,
                Map.of(Metric.CPU, new MetricSpec(1, 1)),
                0.1,
                0.5,
                5_000,
                2,
                prediction)));
  }

  private final Ranker ranker = ranker(1_000, 0.1, 10);
  private final ServiceModel model = ranker.newModel();

  private static InstanceRecord instance(String id) {
    return new InstanceRecord(id, "stream-gateway", "127.0.0.1", 8081, 9081, "", "", "");
  }

  private static MetricsSample sample(double cpu, double ttft, double lag, double handshake) {
    return new MetricsSample(0, cpu, 0, 0, 0, 0, 4, 0, ttft, lag, handshake, 1, 0, 0, 0, 0);
  }

  private static MetricsSample stamped(long ts, MetricsSample s) {
    return new MetricsSample(
        ts,
        s.processCpu(),
        0,
        0,
        0,
        0,
        s.activeStreams(),
        0,
        s.avgTtftMillis(),
        s.eventLoopLagMillis(),
        s.avgHandshakeMillis(),
        s.handshakesInFlight(),
        0,
        0,
        0,
        0);
  }

  /** Fresh windows for {@code id} holding one sample received at {@code nowMillis}. */
  private void only(String id, MetricsSample s, long nowMillis) {
    stats.remove(id);
    add(id, s, nowMillis);
  }

  private void add(String id, MetricsSample s, long nowMillis) {
    InstanceStats st =
        stats.computeIfAbsent(
            id,
            k ->
                new InstanceStats(
                    SlidingWindows.Shape.of(WINDOWS),
                    SlidingWindows.Shape.recent(ranker.scorer().policy().prediction())));
    st.record(stamped(++timestamp, s), nowMillis);
  }

  private RankedList rank(Ranker r, ServiceModel m, long nowMillis, String... ids) {
    return r.rank(
        10,
        List.of(ids).stream().map(PredictedWeightsTests::instance).toList(),
        stats::get,
        RoutingOverride.NONE,
        m,
        nowMillis);
  }

  private RankedList rank(long nowMillis, String... ids) {
    return rank(ranker, model, nowMillis, ids);
  }

  private static Map<String, Integer> weights(RankedList list) {
    Map<String, Integer> out = new HashMap<>();
    list.entries().forEach(e -> out.put(e.instance().id(), e.weight()));
    return out;
  }

  @Test
  void weightIsBestOverPredictedToThePowerK() {
    only("a", sample(0.5, 100, 0, 5), 0);
    only("b", sample(0.1, 200, 0, 5), 0);
    RankedList list = rank(0, "a", "b");
    // b shows less CPU (its prior is better), but its chats start twice as slow: (1/2)^1.5.
    assertThat(list.entries()).extracting(e -> e.instance().id()).containsExactly("a", "b");
    assertThat(list.entries().get(1).score()).isCloseTo(Math.pow(0.5, 1.5), within(1e-12));
    assertThat(weights(list)).containsEntry("a", 100).containsEntry("b", 35);
    assertThat(model.lastVerdict("b").view().basis()).isEqualTo(Verdict.Basis.OBSERVED);
    assertThat(model.lastVerdict("b").view().predictedMillis()).isEqualTo(200);
  }

  @Test
  void eightTimesSlowerFallsToTheFloor() {
    only("a", sample(0.6, 120, 2, 5), 0);
    // A throttled gateway: less CPU, TTFT 8.4x (the case the linear score gave 91 of 100).
    only("b", sample(0.05, 1_027, 2, 5), 0);
    assertThat(weights(rank(0, "a", "b"))).containsEntry("a", 100).containsEntry("b", 10);
  }

  @Test
  void tinyTtftsCountAsTheMinimumSoTheirNoiseDoesNotMoveWeights() {
    only("a", sample(0.5, 3, 2, 5), 0);
    only("b", sample(0.5, 15, 2, 5), 0);
    assertThat(weights(rank(0, "a", "b"))).containsEntry("a", 100).containsEntry("b", 100);
  }

  @Test
  void withThinDataTheLinearScoreIsThePrior() {
    only("a", sample(0.1, 100, 2, 5), 0); // observed TTFT: ranked by it (prior 0.9)
    only("b", sample(0.2, 0, 2, 0), 0); // idle, fit not ready: prior 0.8
    only("c", sample(0.6, 0, 2, 0), 0); // idle, fit not ready: prior 0.4
    RankedList list = rank(0, "a", "b", "c");
    assertThat(model.fitReady()).isFalse();
    assertThat(model.lastVerdict("a").view().basis()).isEqualTo(Verdict.Basis.OBSERVED);
    assertThat(model.lastVerdict("b").view().basis()).isEqualTo(Verdict.Basis.PRIOR);
    // The prior's relative weight is the linear score over the best linear score of every fresh
    // member, a's included: an instance without evidence does not outrank a measured one.
    assertThat(weights(list)).containsEntry("a", 100).containsEntry("b", 89).containsEntry("c", 44);
  }

  /** TTFT = 100 + 1.5 × lag + 0.5 × handshake (± 5 ms), lag and handshake varying apart. */
  private static void train(ServiceModel m) {
    java.util.SplittableRandom random = new java.util.SplittableRandom(11);
    long ts = 0;
    for (int i = 0; i < 400; i++) {
      boolean sick = i % 2 == 1;
      double lag = sick ? random.nextDouble(50, 400) : random.nextDouble(0, 5);
      double handshake = sick ? random.nextDouble(50, 500) : random.nextDouble(2, 8);
      double ttft = 100 + 1.5 * lag + 0.5 * handshake + random.nextDouble(-5, 5);
      m.learn(stamped(++ts, sample(0.3, ttft, lag, handshake)));
    }
  }

  @Test
  void theFitKeepsASickInstanceDownWhileItsTrafficDriesUp() {
    Ranker r = ranker(20, 0.1, 10);
    ServiceModel m = r.newModel();
    train(m);
    only("a", sample(0.5, 100, 2, 5), 0);
    // No chat reached b in its windows (no TTFT observed), but its event loop still lags.
    only("b", sample(0.1, 0, 300, 0), 0);
    RankedList list = rank(r, m, 0, "a", "b");
    assertThat(m.fitReady()).isTrue();
    Verdict.View b = m.lastVerdict("b").view();
    assertThat(b.basis()).isEqualTo(Verdict.Basis.MODEL);
    assertThat(b.observedMillis()).isNaN();
    assertThat(b.modelMillis()).isGreaterThan(400);
    assertThat(weights(list).get("b")).isLessThanOrEqualTo(20);
  }

  @Test
  void theFitRaisesThePredictionAboveALuckyObservedTtft() {
    Ranker r = ranker(20, 0.1, 10);
    ServiceModel m = r.newModel();
    train(m);
    only("a", sample(0.5, 100, 2, 5), 0);
    only("b", sample(0.1, 110, 300, 400), 0);
    RankedList list = rank(r, m, 0, "a", "b");
    Verdict.View b = m.lastVerdict("b").view();
    assertThat(b.basis()).isEqualTo(Verdict.Basis.MODEL);
    assertThat(b.predictedMillis()).isEqualTo(b.modelMillis()).isGreaterThan(b.observedMillis());
    assertThat(weights(list).get("b")).isLessThan(50);
    assertThat(m.lastVerdict("a").view().predictedMillis()).isCloseTo(100.0, within(10.0));
  }

  @Test
  void fitCoefficientsNameTheSignalsThatExplainTheSlowChats() {
    ServiceModel m = ranker(20, 0.1, 10).newModel();
    train(m);
    double[] beta = m.fit().coefficients();
    assertThat(m.fit().samples()).isEqualTo(400);
    // the fit's target is the TTFT a chat sees: the measured 1.5 ms per ms of lag, plus the lag
    assertThat(beta[1]).as("lag").isCloseTo(2.5, within(0.1));
    assertThat(beta[2]).as("handshake").isCloseTo(0.5, within(0.1));
  }

  @Test
  void staleInstanceStaysNeutralWhateverTheFit() {
    Ranker r = ranker(20, 0.1, 10);
    ServiceModel m = r.newModel();
    train(m);
    only("a", sample(0.5, 100, 2, 5), 10_000);
    only("b", sample(0.1, 0, 300, 0), 0); // last sample 10 s ago, stale-after 5 s
    RankedList list = rank(r, m, 10_000, "a", "b");
    assertThat(m.lastVerdict("b").view().basis()).isEqualTo(Verdict.Basis.STALE);
    assertThat(list.entries().get(1).stale()).isTrue();
    assertThat(list.entries().get(1).score()).isEqualTo(0.5);
    assertThat(weights(list)).containsEntry("b", 50);
  }

  @Test
  void smallChangesAreHeldDropsApplyAtOnceAndRisesAreRateLimited() {
    only("a", sample(0.5, 100, 2, 5), 0);
    only("b", sample(0.5, 100, 2, 5), 0);
    assertThat(weights(rank(0, "a", "b"))).containsEntry("b", 100);

    only("a", sample(0.5, 100, 2, 5), 1_000);
    only("b", sample(0.5, 105, 2, 5), 1_000); // target 93: within the 10% band
    assertThat(weights(rank(1_000, "a", "b"))).containsEntry("b", 100);
    assertThat(model.lastVerdict("b").view().held()).isTrue();
    assertThat(model.lastVerdict("b").view().targetWeight()).isEqualTo(93);

    only("a", sample(0.5, 100, 2, 5), 2_000);
    only("b", sample(0.5, 400, 2, 5), 2_000); // target 13: a drop applies at once
    assertThat(weights(rank(2_000, "a", "b"))).containsEntry("b", 13);
    assertThat(model.lastVerdict("b").view().held()).isFalse();

    for (long t = 3_000; t <= 12_000; t += 1_000) {
      only("a", sample(0.5, 100, 2, 5), t);
      only("b", sample(0.5, 100, 2, 5), t); // healthy again: target 100
      int expected = (int) Math.min(100, 13 + 10 * (t - 2_000) / 1_000);
      assertThat(weights(rank(t, "a", "b"))).as("at %d ms", t).containsEntry("b", expected);
    }
    assertThat(model.lastVerdict("b").view().held()).isFalse();
  }

  @Test
  void churningRankingIsDampedUntilItCalms() {
    Ranker r = ranker(1_000, 0, 1_000); // no hysteresis: every flip is a rank change
    ServiceModel m = r.newModel();
    long t = 0;
    // a alternates 100 / 1000 ms against b's steady 500: the fast-window order flips each second.
    for (int i = 0; i < 3; i++, t += 1_000) {
      add("a", sample(0.5, i % 2 == 0 ? 100 : 1_000, 0, 5), t);
      add("b", sample(0.5, 500, 0, 5), t);
      rank(r, m, t, "a", "b");
    }
    // First list (2 new positions) and two flips: 6 changes, not above 6 a minute yet.
    assertThat(m.rankChangesPerMinute(t)).isEqualTo(6);
    assertThat(m.damped()).isFalse();
    add("a", sample(0.5, 1_000, 0, 5), t);
    add("b", sample(0.5, 500, 0, 5), t);
    RankedList damped = rank(r, m, t, "a", "b");
    assertThat(damped.damping()).isEqualTo(new RankedList.Damping(true, 8));
    assertThat(m.damped()).isTrue();

    // Damped, predictions read the 15 s window: a's TTFT is the average of all five samples.
    t += 1_000;
    add("a", sample(0.5, 100, 0, 5), t);
    add("b", sample(0.5, 500, 0, 5), t);
    rank(r, m, t, "a", "b");
    assertThat(m.lastVerdict("a").view().observedMillis())
        .isCloseTo((100 + 1_000 + 100 + 1_000 + 100) / 5.0, within(1e-9));

    // Calm for over a minute: the count falls to at most half the limit and damping ends.
    for (t += 1_000; t <= 80_000; t += 1_000) {
      add("a", sample(0.5, 100, 0, 5), t);
      add("b", sample(0.5, 500, 0, 5), t);
      rank(r, m, t, "a", "b");
    }
    assertThat(m.damped()).isFalse();
    assertThat(m.rankChangesPerMinute(t - 1_000)).isLessThanOrEqualTo(3);
  }

  @Test
  void aLateEventLoopCountsInTheObservedTtft() {
    // Same measured TTFT, but b's loop runs its work 300 ms late (paused, starved): a chat there
    // waits for the loop before the gateway's clock starts, so it sees 100 + 300 ms.
    only("a", sample(0.5, 100, 0, 5), 0);
    only("b", sample(0.5, 100, 300, 5), 0);
    RankedList list = rank(0, "a", "b");
    assertThat(model.lastVerdict("b").view().observedMillis()).isEqualTo(400);
    assertThat(weights(list)).containsEntry("a", 100).containsEntry("b", 13);
  }

  @Test
  void anUnknownLagAddsNothing() {
    only("a", sample(0.5, 100, -1, 5), 0);
    rank(0, "a");
    assertThat(model.lastVerdict("a").view().observedMillis()).isEqualTo(100);
  }
}
