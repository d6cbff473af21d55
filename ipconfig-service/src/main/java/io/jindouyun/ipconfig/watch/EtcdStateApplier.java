package io.jindouyun.ipconfig.watch;

import io.jindouyun.contract.BadRecordException;
import io.jindouyun.contract.EtcdKeys;
import io.jindouyun.contract.HostNetworks;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.contract.ServiceInstance;
import io.jindouyun.ipconfig.ranking.OverrideParser;
import io.jindouyun.ipconfig.ranking.RankingState;
import io.jindouyun.ipconfig.ranking.RoutingOverride;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies etcd's {@code instances/}, {@code metrics/} and {@code overrides/} records (see {@link
 * EtcdKeys}) to the {@link RankingState}: a full read replaces the state ({@link #load}), each
 * watched change updates it ({@link #put}, {@link #delete}). Free of jetcd: the watcher hands it
 * plain {@link EtcdEntry} values.
 *
 * <p>Instances are read as {@link InstanceRecord}s and must be routable ({@link
 * InstanceRecord#validate()}) with a host inside the configured {@link HostNetworks} (a refusal is
 * logged at WARN); metrics by {@link MetricsSampleDecoder}. A record that cannot be decoded or
 * holds a bad value is skipped and counted ({@code ipconfig.records.rejected}, tag {@code kind} =
 * {@code instance} or {@code metrics}); the last good value of that key stays. An invalid override
 * is logged and counted ({@code ipconfig.overrides.rejected}, tag {@code backend_service}: the
 * service when configured, else {@code other}); the previous override stays.
 *
 * <p>Thread-safe: it keeps no state of its own besides its meters, and {@link RankingState} is
 * lock-guarded; the watcher calls it from its scheduler thread and from jetcd's callback threads.
 */
final class EtcdStateApplier {

  private static final Logger log = LoggerFactory.getLogger(EtcdStateApplier.class);

  private final EtcdKeys keys;
  private final RankingState state;
  private final OverrideParser overrideParser;
  private final MeterRegistry registry;
  private final LongSupplier wallClock;
  private final HostNetworks networks;
  private final Counter rejectedInstances;
  private final Counter rejectedMetrics;

  /**
   * @param wallClock milliseconds since the epoch, to age the snapshots of a full read
   * @param networks the networks an instance's host must be in
   */
  EtcdStateApplier(
      EtcdKeys keys,
      RankingState state,
      OverrideParser overrideParser,
      MeterRegistry registry,
      LongSupplier wallClock,
      HostNetworks networks) {
    this.keys = keys;
    this.networks = networks;
    this.state = state;
    this.overrideParser = overrideParser;
    this.registry = registry;
    this.wallClock = wallClock;
    rejectedInstances = rejectedCounter("instance");
    rejectedMetrics = rejectedCounter("metrics");
  }

  private Counter rejectedCounter(String kind) {
    return Counter.builder("ipconfig.records.rejected")
        .description("etcd records skipped because they could not be decoded or were invalid")
        .tag("kind", kind)
        .register(registry);
  }

  /**
   * Replaces the state with one full read of the three prefixes at one revision. A bad instance
   * record keeps the registration held before for its key; a bad override keeps the override
   * before. Metrics go in after the instances, aged by their own timestamps against the wall clock,
   * so that a left-over snapshot does not pass for fresh.
   */
  void load(List<EtcdEntry> instances, List<EtcdEntry> metrics, List<EtcdEntry> overrides) {
    List<InstanceRecord> all = new ArrayList<>();
    for (EtcdEntry e : instances) {
      try {
        all.add(instance(e));
      } catch (BadRecordException ex) {
        rejectInstance(e.key(), ex.getMessage());
        previous(e.key()).ifPresent(all::add);
      }
    }
    Map<String, RoutingOverride> valid = new HashMap<>();
    Set<String> keep = new HashSet<>();
    for (EtcdEntry e : overrides) {
      String service;
      try {
        service = keys.parseOverrideKey(e.key());
      } catch (BadRecordException ex) {
        continue;
      }
      try {
        valid.put(service, overrideParser.parse(e.value()));
      } catch (OverrideParser.InvalidOverrideException ex) {
        rejectOverride(service, ex.getMessage());
        keep.add(service);
      }
    }
    state.replaceAll(all, valid, keep);
    long wallNow = wallClock.getAsLong();
    for (EtcdEntry e : metrics) {
      metrics(e, wallNow);
    }
  }

  /** A put seen by a watch, on any of the three prefixes (other keys are ignored). */
  void put(EtcdEntry entry) {
    String key = entry.key();
    if (key.startsWith(keys.instancesPrefix())) {
      try {
        if (state.putInstance(instance(entry)) == RankingState.Outcome.OVER_LIMIT) {
          rejectedInstances.increment();
          log.warn("instance {} rejected: too many instances in its service", key);
        }
      } catch (BadRecordException e) {
        rejectInstance(key, e.getMessage());
      }
    } else if (key.startsWith(keys.metricsPrefix())) {
      metrics(entry, 0);
    } else if (key.startsWith(keys.overridesPrefix())) {
      String service = key.substring(keys.overridesPrefix().length());
      try {
        state.putOverride(service, overrideParser.parse(entry.value()));
      } catch (OverrideParser.InvalidOverrideException e) {
        rejectOverride(service, e.getMessage());
      }
    }
  }

  /**
   * A delete seen by a watch: an instance leaves, an override goes back to none; a metrics delete
   * changes nothing (the instance's samples age out).
   */
  void delete(String key) {
    if (key.startsWith(keys.instancesPrefix())) {
      try {
        ServiceInstance instance = keys.parseInstanceKey(key);
        state.removeInstance(instance.service(), instance.id());
      } catch (BadRecordException e) {
        rejectInstance(key, e.getMessage());
      }
    } else if (key.startsWith(keys.overridesPrefix())) {
      state.putOverride(key.substring(keys.overridesPrefix().length()), RoutingOverride.NONE);
    }
  }

  private InstanceRecord instance(EtcdEntry e) throws BadRecordException {
    InstanceRecord record = InstanceRecord.fromJson(keys.parseInstanceKey(e.key()), e.value());
    String problem = record.validate();
    if (!problem.isEmpty()) {
      throw new BadRecordException(problem);
    }
    String refusal = networks.refusal(record);
    if (!refusal.isEmpty()) {
      // whoever can write this key could otherwise send the edge's traffic anywhere
      log.warn("instance record {} refused: {}", e.key(), refusal);
      throw new BadRecordException(refusal);
    }
    return record;
  }

  private Optional<InstanceRecord> previous(String key) {
    return keys.instanceOf(key).flatMap(i -> state.instance(i.service(), i.id()));
  }

  /**
   * Applies a metrics record. {@code wallNow} is 0 for a record just written (watch event); for one
   * read back by a full read it is the wall clock, and the snapshot's age by its own timestamp is
   * taken into account.
   */
  private void metrics(EtcdEntry e, long wallNow) {
    try {
      ServiceInstance instance = keys.parseMetricsKey(e.key());
      MetricsSample sample = MetricsSampleDecoder.decode(instance, e.value());
      long age = wallNow == 0 ? 0 : wallNow - sample.timestampMillis();
      if (state.putMetrics(instance.service(), instance.id(), sample, age)
          == RankingState.Outcome.OVER_LIMIT) {
        rejectedMetrics.increment();
      }
    } catch (BadRecordException ex) {
      rejectedMetrics.increment();
      log.debug("skipping metrics record {}: {}", e.key(), ex.getMessage());
    }
  }

  private void rejectInstance(String key, String reason) {
    rejectedInstances.increment();
    log.debug("skipping instance record {}: {}", key, reason);
  }

  private void rejectOverride(String service, String reason) {
    log.warn("override of '{}' rejected, the previous one stays: {}", service, reason);
    Counter.builder("ipconfig.overrides.rejected")
        .description("operator overrides rejected as invalid")
        .tag("backend_service", state.isConfigured(service) ? service : "other")
        .register(registry)
        .increment();
  }
}
