package io.jindouyun.ipconfig.watch;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.ranking.OverrideParser;
import io.jindouyun.ipconfig.ranking.RankedList;
import io.jindouyun.ipconfig.ranking.Ranker;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.ranking.RoutingOverride;
import io.jindouyun.ipconfig.ranking.ServiceSpec;
import io.jindouyun.ipconfig.ranking.Strategy;
import io.jindouyun.ipconfig.scoring.Metric;
import io.jindouyun.ipconfig.scoring.Scorer;
import io.jindouyun.ipconfig.scoring.ScoringPolicy;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.MetricSpec;
import io.jindouyun.ipconfig.scoring.ScoringPolicy.WindowSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

class EtcdStateApplierTests {

  private static final String SERVICE = "stream-gateway";
  private static final long NOW = 1_700_000_000_000L;

  private final EtcdKeys keys = new EtcdKeys("/t/jindouyun/");
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final RankingState state =
      new RankingState(
          List.of(new ServiceSpec(SERVICE, 10, List.of())),
          new Ranker(
              new Scorer(
                  new ScoringPolicy(
                      List.of(new WindowSpec(10_000, 1, 10)),
                      Map.of(Metric.CPU, new MetricSpec(1, 1)),
                      0.1,
                      0.5,
                      800,
                      2))),
          3,
          () -> NOW,
          () -> {});
  private final EtcdStateApplier applier =
      new EtcdStateApplier(
          keys,
          state,
          new OverrideParser(JsonMapper.builder().build()),
          registry,
          () -> NOW,
          HostNetworks.ANY);

  @Test
  void anInstancePutRegistersItAndItsDeleteRemovesIt() {
    applier.put(instance("gw-1", "h1"));
    assertThat(state.instance(SERVICE, "gw-1"))
        .contains(new InstanceRecord("gw-1", SERVICE, "h1", 8081, 9081, "z", "1", "t"));

    applier.delete(keys.instanceKey(SERVICE, "gw-1"));
    assertThat(state.instance(SERVICE, "gw-1")).isEmpty();
    assertThat(rejected("instance")).isZero();
  }

  @Test
  void aBadInstanceRecordKeepsTheLastGoodOneAndIsCounted() {
    applier.put(instance("gw-1", "h1"));
    applier.put(entry(keys.instanceKey(SERVICE, "gw-1"), "{not json"));
    applier.put(entry(keys.instanceKey(SERVICE, "gw-1"), "{\"host\":\"h\",\"httpPort\":70000}"));
    applier.put(entry(keys.instanceKey(SERVICE, "gw-1"), "{\"host\":\"h\",\"httpPort\":0}"));
    applier.put(entry(keys.instanceKey(SERVICE, "gw-1"), "{\"host\":\"h\",\"id\":\"gw-2\"}"));
    applier.put(entry(keys.instancesPrefix() + SERVICE + "/bad~id", "{}"));

    assertThat(state.instance(SERVICE, "gw-1").orElseThrow().host()).isEqualTo("h1");
    assertThat(rejected("instance")).isEqualTo(5.0);
  }

  @Test
  void anInstanceBeyondTheLimitIsCountedAsRejected() {
    for (int i = 1; i <= 4; i++) {
      applier.put(instance("gw-" + i, "h" + i));
    }
    assertThat(state.instance(SERVICE, "gw-4")).isEmpty();
    assertThat(rejected("instance")).isEqualTo(1.0);
  }

  @Test
  void aMetricsPutMakesTheInstanceFreshAndABadOneIsCounted() {
    applier.put(instance("gw-1", "h1"));
    assertThat(entryOf("gw-1").stale()).isTrue();

    applier.put(metrics("gw-1", NOW));
    applier.put(
        entry(keys.metricsKey(SERVICE, "gw-1"), "{\"timestampMs\":\"1\",\"processCpu\":\"NaN\"}"));
    applier.put(entry(keys.metricsPrefix() + SERVICE, "{}"));

    assertThat(entryOf("gw-1").stale()).isFalse();
    assertThat(rejected("metrics")).isEqualTo(2.0);
  }

  @Test
  void overridesAreSetClearedAndAnInvalidOneIsCountedWhileThePreviousStays() {
    applier.put(entry(keys.overrideKey(SERVICE), "{\"strategy\":\"hash\"}"));
    assertThat(state.override(SERVICE).orElseThrow().strategy()).isEqualTo(Strategy.HASH);

    applier.put(entry(keys.overrideKey(SERVICE), "{\"strategy\":\"random\"}"));
    applier.put(entry(keys.overrideKey("unknown-service"), "{\"strategy\":\"random\"}"));
    assertThat(state.override(SERVICE).orElseThrow().strategy()).isEqualTo(Strategy.HASH);
    assertThat(registry.counter("ipconfig.overrides.rejected", "backend_service", SERVICE).count())
        .isEqualTo(1.0);
    assertThat(registry.counter("ipconfig.overrides.rejected", "backend_service", "other").count())
        .isEqualTo(1.0);

    applier.delete(keys.overrideKey(SERVICE));
    assertThat(state.override(SERVICE)).contains(RoutingOverride.NONE);
  }

  @Test
  void aFullReadReplacesTheStateAndKeepsThePreviousRecordOfABadKey() {
    applier.put(instance("gw-1", "h1"));
    applier.put(instance("gw-3", "h3"));
    applier.put(entry(keys.overrideKey(SERVICE), "{\"strategy\":\"hash\"}"));

    applier.load(
        List.of(entry(keys.instanceKey(SERVICE, "gw-1"), "{not json"), instance("gw-2", "h2")),
        List.of(),
        List.of(entry(keys.overrideKey(SERVICE), "{\"strategy\":\"random\"}")));

    assertThat(state.instance(SERVICE, "gw-1").orElseThrow().host()).isEqualTo("h1");
    assertThat(state.instance(SERVICE, "gw-2")).isPresent();
    assertThat(state.instance(SERVICE, "gw-3")).isEmpty();
    assertThat(state.override(SERVICE).orElseThrow().strategy()).isEqualTo(Strategy.HASH);
    assertThat(rejected("instance")).isEqualTo(1.0);
  }

  @Test
  void aFullReadAgesEachSnapshotByItsOwnTimestamp() {
    applier.load(
        List.of(instance("gw-1", "h1"), instance("gw-2", "h2")),
        List.of(metrics("gw-1", NOW - 60_000), metrics("gw-2", NOW)),
        List.of());

    assertThat(entryOf("gw-1").stale()).isTrue();
    assertThat(entryOf("gw-2").stale()).isFalse();
  }

  @Test
  void keysOutsideTheThreePrefixesAreIgnored() {
    applier.put(entry("/t/jindouyun/replies/0", "gw-1"));
    applier.delete("/t/jindouyun/replies/0");
    applier.delete(keys.metricsKey(SERVICE, "gw-1"));

    assertThat(rejected("instance")).isZero();
    assertThat(rejected("metrics")).isZero();
  }

  @Test
  void anInstanceOutsideTheAllowedNetworksIsRefusedWithALogLineAndTheLastGoodOneStays() {
    EtcdStateApplier guarded =
        new EtcdStateApplier(
            keys,
            state,
            new OverrideParser(JsonMapper.builder().build()),
            registry,
            () -> NOW,
            HostNetworks.of(HostNetworks.PRIVATE));
    Logger logger = (Logger) LoggerFactory.getLogger(EtcdStateApplier.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try {
      guarded.put(instance("gw-1", "10.0.0.5"));
      guarded.put(instance("gw-1", "203.0.113.9"));
      guarded.put(instance("gw-2", "evil.example.com"));
      assertThat(state.instance(SERVICE, "gw-1").map(InstanceRecord::host)).contains("10.0.0.5");
      guarded.load(
          List.of(instance("gw-1", "10.0.0.5"), instance("gw-3", "8.8.8.8")), List.of(), List.of());
    } finally {
      logger.detachAppender(lines);
    }
    assertThat(state.instance(SERVICE, "gw-1").map(InstanceRecord::host)).contains("10.0.0.5");
    assertThat(state.instance(SERVICE, "gw-2")).isEmpty();
    assertThat(state.instance(SERVICE, "gw-3")).isEmpty();
    assertThat(rejected("instance")).isEqualTo(3);
    assertThat(lines.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly(
            "instance record "
                + keys.instanceKey(SERVICE, "gw-1")
                + " refused: host 203.0.113.9 is outside the allowed networks "
                + HostNetworks.PRIVATE,
            "instance record "
                + keys.instanceKey(SERVICE, "gw-2")
                + " refused: host evil.example.com is not an IP address in the allowed networks "
                + HostNetworks.PRIVATE,
            "instance record "
                + keys.instanceKey(SERVICE, "gw-3")
                + " refused: host 8.8.8.8 is outside the allowed networks "
                + HostNetworks.PRIVATE);
  }

  private double rejected(String kind) {
    return registry.counter("ipconfig.records.rejected", "kind", kind).count();
  }

  private RankedList.Entry entryOf(String id) {
    return state.rankAll().get(SERVICE).entries().stream()
        .filter(e -> e.instance().id().equals(id))
        .findFirst()
        .orElseThrow();
  }

  private EtcdEntry instance(String id, String host) {
    return entry(
        keys.instanceKey(SERVICE, id),
        new InstanceRecord(id, SERVICE, host, 8081, 9081, "z", "1", "t").toJson());
  }

  private EtcdEntry metrics(String id, long timestamp) {
    return entry(
        keys.metricsKey(SERVICE, id),
        "{\"timestampMs\":\"" + timestamp + "\",\"processCpu\":0.1,\"requestsTotal\":\"10\"}");
  }

  private static EtcdEntry entry(String key, String value) {
    return new EtcdEntry(key, value, 1);
  }
}
