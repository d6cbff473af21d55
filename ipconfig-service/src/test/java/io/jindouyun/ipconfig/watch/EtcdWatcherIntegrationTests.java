package io.jindouyun.ipconfig.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.ranking.BestListPublisher;
import io.jindouyun.ipconfig.ranking.BestListRefresher;
import io.jindouyun.ipconfig.ranking.BestLists;
import io.jindouyun.ipconfig.ranking.OverrideParser;
import io.jindouyun.ipconfig.ranking.RankedList;
import io.jindouyun.ipconfig.ranking.Ranker;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.ranking.ServiceSpec;
import io.jindouyun.ipconfig.ranking.Strategy;
import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import io.jindouyun.testkit.EtcdExtension;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.json.JsonMapper;

@Timeout(60)
class EtcdWatcherIntegrationTests {

  @RegisterExtension static final EtcdExtension etcd = new EtcdExtension();

  private static final AtomicInteger ROOTS = new AtomicInteger();
  private static final String SERVICE = "stream-gateway";
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final BestListPublisher publisher = new BestListPublisher(Clock.systemUTC(), 16);
  private String root;
  private EtcdKeys keys;
  private BestListRefresher refresher;
  private RankingState state;
  private EtcdWatcher watcher;

  @BeforeEach
  void start() {
    root = "/it" + ROOTS.incrementAndGet() + "/jindouyun/";
    keys = new EtcdKeys(root);
    startComponents();
  }

  private void startComponents() {
    List<WindowSpec> windows = List.of(new WindowSpec(10_000, 1, 10));
    ScoringPolicy policy =
        new ScoringPolicy(windows, Map.of(Metric.CPU, new MetricSpec(1, 1)), 0.1, 0.5, 800, 2);
    refresher =
        new BestListRefresher(publisher, Duration.ofMillis(10), Duration.ofMillis(100), l -> {});
    state =
        new RankingState(
            List.of(new ServiceSpec(SERVICE, 10, List.of())),
            new Ranker(new Scorer(policy)),
            1000,
            () -> System.nanoTime() / 1_000_000,
            refresher::requestRefresh);
    JsonMapper mapper = JsonMapper.builder().build();
    watcher =
        new EtcdWatcher(
            etcd.client(),
            new EtcdWatcher.Settings(
                root,
                Duration.ofMillis(500),
                Duration.ofMillis(100),
                Duration.ofMillis(500),
                HostNetworks.ANY),
            state,
            new OverrideParser(mapper),
            registry,
            refresher::requestRefresh);
    refresher.start(state, watcher::isStale);
    watcher.start();
    await().atMost(WAIT).until(() -> !watcher.isStale());
  }

  @AfterEach
  void stop() {
    watcher.close();
    refresher.close();
  }

  @Test
  void compactionWhileTheWatcherIsBehindTriggersAResyncAndLosesNoEvent() throws Exception {
    putInstance("gw-1", "h1");
    putInstance("gw-2", "h2");
    putInstance("gw-3", "h3");
    await().atMost(WAIT).until(() -> ids().size() == 3);

    watcher.suspend();
    for (int i = 0; i < 50; i++) {
      putInstance("gw-1", "h1-" + i);
    }
    delete(keys.instanceKey(SERVICE, "gw-2"));
    putInstance("gw-4", "h4");
    put(keys.overrideKey(SERVICE), "{\"strategy\":\"hash\"}");
    long revision =
        client().getKVClient().get(bytes(root)).get(5, TimeUnit.SECONDS).getHeader().getRevision();
    client().getKVClient().compact(revision).get(5, TimeUnit.SECONDS);
    watcher.resume();

    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(ids()).containsExactlyInAnyOrder("gw-1", "gw-3", "gw-4");
              assertThat(list().strategy()).isEqualTo(Strategy.HASH);
              assertThat(entry("gw-1").instance().host()).isEqualTo("h1-49");
            });
    assertThat(registry.counter("ipconfig.watch.restarts", "reason", "compacted").count())
        .isEqualTo(1.0);
    assertThat(watcher.revisions()[0]).isGreaterThanOrEqualTo(revision);
  }

  @Test
  void watchResumedWithoutCompactionCatchesUpFromItsRevision() throws Exception {
    putInstance("gw-1", "h1");
    await().atMost(WAIT).until(() -> ids().size() == 1);
    watcher.suspend();
    putInstance("gw-2", "h2");
    delete(keys.instanceKey(SERVICE, "gw-1"));
    watcher.resume();
    await().atMost(WAIT).until(() -> ids().equals(List.of("gw-2")));
    assertThat(registry.find("ipconfig.watch.restarts").tag("reason", "compacted").counter())
        .isNull();
  }

  @Test
  void instanceWhoseLeaseEndsLeavesTheList() throws Exception {
    putInstance("gw-1", "h1");
    long lease = client().getLeaseClient().grant(1).get(5, TimeUnit.SECONDS).getID();
    client()
        .getKVClient()
        .put(
            bytes(keys.instanceKey(SERVICE, "gw-2")),
            bytes(instanceJson("gw-2", "h2")),
            PutOption.builder().withLeaseId(lease).build())
        .get(5, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> ids().contains("gw-2"));
    await().atMost(Duration.ofSeconds(15)).until(() -> ids().equals(List.of("gw-1")));
  }

  @Test
  void instanceWhoseMetricsStopStaysWithANeutralScore() throws Exception {
    putInstance("gw-1", "h1");
    putMetrics("gw-1", 1, 0.1);
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(entry("gw-1").stale()).isFalse();
              // Ranked by the prior (no TTFT, no fit), relative to the best: the only member's 1.
              assertThat(entry("gw-1").score()).isEqualTo(1.0);
            });
    // No more samples: after stale-after (800 ms) the score is neutral, the instance stays.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(entry("gw-1").stale()).isTrue();
              assertThat(entry("gw-1").score()).isEqualTo(0.5);
            });
    assertThat(ids()).containsExactly("gw-1");
  }

  @Test
  void leftOverSnapshotReadAtStartDoesNotPassForFresh() throws Exception {
    putInstance("gw-1", "h1");
    putInstance("gw-2", "h2");
    putMetrics("gw-1", System.currentTimeMillis() - 60_000, 0.1);
    // A timestamp ahead of this clock counts as age 0: fresh for stale-after (800 ms) from the
    // read.
    putMetrics("gw-2", System.currentTimeMillis() + 5_000, 0.1);
    stop();
    startComponents();
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              assertThat(entry("gw-1").stale()).isTrue();
              assertThat(entry("gw-2").stale()).isFalse();
            });
  }

  @Test
  void badRecordsKeepTheLastGoodStateAndAreCounted() throws Exception {
    putInstance("gw-1", "h1");
    await().atMost(WAIT).until(() -> ids().size() == 1);
    put(keys.instanceKey(SERVICE, "gw-1"), "{not json");
    put(
        keys.instanceKey(SERVICE, "gw-1"),
        "{\"id\":\"gw-1\",\"service\":\"stream-gateway\",\"host\":\"h\",\"httpPort\":70000}");
    put(keys.metricsKey(SERVICE, "gw-1"), "{\"timestampMs\":\"1\",\"processCpu\":\"NaN\"}");
    putInstance("gw-2", "h2");
    await().atMost(WAIT).until(() -> ids().size() == 2);
    assertThat(entry("gw-1").instance().host()).isEqualTo("h1");
    assertThat(registry.counter("ipconfig.records.rejected", "kind", "instance").count())
        .isEqualTo(2.0);
    // The metrics prefix has its own watch: its events are not ordered with the instances' ones.
    await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(registry.counter("ipconfig.records.rejected", "kind", "metrics").count())
                    .isEqualTo(1.0));
  }

  @Test
  void invalidOverrideIsRejectedAndThePreviousOneStays() throws Exception {
    putInstance("gw-1", "h1");
    putInstance("gw-2", "h2");
    put(keys.overrideKey(SERVICE), "{\"strategy\":\"manual\",\"weights\":{\"gw-1\":5}}");
    await().atMost(WAIT).until(() -> ids().equals(List.of("gw-1")));
    put(keys.overrideKey(SERVICE), "{\"strategy\":\"manual\"}");
    put(keys.overrideKey(SERVICE), "{\"strategy\":\"random\"}");
    await()
        .atMost(WAIT)
        .until(
            () ->
                registry.counter("ipconfig.overrides.rejected", "backend_service", SERVICE).count()
                    == 2.0);
    assertThat(state.override(SERVICE).orElseThrow().weights()).isEqualTo(Map.of("gw-1", 5));
    putInstance("gw-3", "h3");
    await().atMost(WAIT).until(() -> state.instance(SERVICE, "gw-3").isPresent());
    assertThat(state.rankAll().get(SERVICE).strategy()).isEqualTo(Strategy.MANUAL);
    assertThat(ids()).containsExactly("gw-1");
    // Deleting the override goes back to scores.
    delete(keys.overrideKey(SERVICE));
    await().atMost(WAIT).until(() -> ids().size() == 3);
    assertThat(list().strategy()).isEqualTo(Strategy.SCORE);
  }

  private Client client() {
    return etcd.client();
  }

  private RankedList list() {
    BestLists.ServiceList l = publisher.current().services().get(SERVICE);
    return l == null ? new RankedList(Strategy.SCORE, List.of()) : l.list();
  }

  private List<String> ids() {
    return list().entries().stream().map(e -> e.instance().id()).toList();
  }

  private RankedList.Entry entry(String id) {
    return list().entries().stream()
        .filter(e -> e.instance().id().equals(id))
        .findFirst()
        .orElseThrow(() -> new AssertionError(id + " not listed in " + ids()));
  }

  private void putInstance(String id, String host) throws Exception {
    put(keys.instanceKey(SERVICE, id), instanceJson(id, host));
  }

  private static String instanceJson(String id, String host) {
    return new InstanceRecord(id, SERVICE, host, 8081, 9081, "z", "1", "2026-01-01T00:00:00Z")
        .toJson();
  }

  private void putMetrics(String id, long timestamp, double cpu) throws Exception {
    put(
        keys.metricsKey(SERVICE, id),
        "{\"service\":\""
            + SERVICE
            + "\",\"instanceId\":\""
            + id
            + "\",\"timestampMs\":\""
            + timestamp
            + "\",\"intervalMs\":\"1000\",\"processCpu\":"
            + cpu
            + ",\"heapUsedBytes\":\"100\",\"heapMaxBytes\":\"1000\",\"requestsTotal\":\"10\"}");
  }

  private void put(String key, String value) throws Exception {
    client().getKVClient().put(bytes(key), bytes(value)).get(5, TimeUnit.SECONDS);
  }

  private void delete(String key) throws Exception {
    client().getKVClient().delete(bytes(key)).get(5, TimeUnit.SECONDS);
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
