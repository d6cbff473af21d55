package io.jindouyun.ipconfig.ranking;

import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.ipconfig.scoring.InstanceStats;
import io.jindouyun.ipconfig.scoring.MetricsSample;
import io.jindouyun.ipconfig.scoring.ScoreExplanation;
import io.jindouyun.ipconfig.scoring.SlidingWindows;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Everything known about the ranked services: registered instances, their metric windows and the
 * operator overrides. Fed by the etcd watcher, read by the recompute task and the score
 * explanation.
 *
 * <p>Concurrency: all state is guarded by one lock; every method takes it, for a bounded time
 * (O(instances of one service) at most, or O(all instances) for {@link #rankAll} and {@link
 * #replaceAll}). After each change {@code onChange} runs outside the lock; it must not block (it
 * schedules the coalesced recompute).
 *
 * <p>Bounds: only services named in the config are kept; at most {@code maxInstances} registered
 * instances and as many metric windows per service. Metric windows of an instance that is not
 * registered are dropped once they are older than the longest window plus the stale limit.
 */
public final class RankingState {

  private final ReentrantLock lock = new ReentrantLock();
  private final Map<String, ServiceState> services = new LinkedHashMap<>();
  private final Ranker ranker;
  private final int maxInstances;
  private final LongSupplier clock;
  private final Runnable onChange;
  private final long statsRetentionMillis;
  private final SlidingWindows.Shape shape;
  private final SlidingWindows.Shape recentShape;
  private static final long SWEEP_INTERVAL_MILLIS = 10_000;
  private long lastSweepMillis = Long.MIN_VALUE / 2;

  /** What happened to an update. */
  public enum Outcome {
    /** Applied. */
    APPLIED,
    /** The service is not configured: ignored. */
    UNKNOWN_SERVICE,
    /** The per-service bound was reached: rejected. */
    OVER_LIMIT,
    /** Nothing changed (a replayed sample). */
    UNCHANGED
  }

  private static final class ServiceState {
    final ServiceSpec spec;
    final Map<String, InstanceRecord> registered = new HashMap<>();
    final Map<String, InstanceStats> stats = new HashMap<>();
    final ServiceModel model;
    RoutingOverride override = RoutingOverride.NONE;

    ServiceState(ServiceSpec spec, ServiceModel model) {
      this.spec = spec;
      this.model = model;
    }
  }

  /**
   * @param specs the services to rank
   * @param ranker builds the lists
   * @param maxInstances bound on registered instances (and metric windows) per service
   * @param clock the windows' clock, milliseconds, monotonic
   * @param onChange runs after each change, outside the lock; must not block
   */
  public RankingState(
      Collection<ServiceSpec> specs,
      Ranker ranker,
      int maxInstances,
      LongSupplier clock,
      Runnable onChange) {
    for (ServiceSpec spec : specs) {
      services.put(spec.name(), new ServiceState(spec, ranker.newModel()));
    }
    this.ranker = ranker;
    this.maxInstances = maxInstances;
    this.clock = clock;
    this.onChange = onChange;
    long longest =
        ranker.scorer().policy().windows().stream()
            .mapToLong(w -> w.lengthMillis())
            .max()
            .orElse(0);
    this.statsRetentionMillis = longest + ranker.scorer().policy().staleAfterMillis();
    this.shape = SlidingWindows.Shape.of(ranker.scorer().policy().windows());
    this.recentShape = SlidingWindows.Shape.recent(ranker.scorer().policy().prediction());
  }

  /** Names of the configured services, in config order. */
  public List<String> serviceNames() {
    return List.copyOf(services.keySet());
  }

  /** Whether {@code service} is configured. */
  public boolean isConfigured(String service) {
    return services.containsKey(service);
  }

  /** Registers or updates an instance. */
  public Outcome putInstance(InstanceRecord instance) {
    return change(
        instance.service(),
        s -> {
          if (!s.registered.containsKey(instance.id()) && s.registered.size() >= maxInstances) {
            return Outcome.OVER_LIMIT;
          }
          InstanceRecord previous = s.registered.put(instance.id(), instance);
          return instance.equals(previous) ? Outcome.UNCHANGED : Outcome.APPLIED;
        });
  }

  /** Removes a registration (its lease ended or it shut down). Its windows go too. */
  public Outcome removeInstance(String service, String id) {
    return change(
        service,
        s -> {
          Outcome outcome = s.registered.remove(id) != null ? Outcome.APPLIED : Outcome.UNCHANGED;
          s.stats.remove(id);
          return outcome;
        });
  }

  /**
   * Adds a metrics sample of an instance (registered or static, or not yet registered). Does not
   * call {@code onChange}: scores move continuously and are picked up by the periodic recompute.
   */
  public Outcome putMetrics(String service, String id, MetricsSample sample) {
    return putMetrics(service, id, sample, 0);
  }

  /**
   * As {@link #putMetrics(String, String, MetricsSample)} for a sample that is already {@code
   * ageMillis} old (read back by a full resync rather than just written): it is placed that far in
   * the past, so an old snapshot does not pass for fresh.
   */
  public Outcome putMetrics(String service, String id, MetricsSample sample, long ageMillis) {
    lock.lock();
    try {
      ServiceState s = services.get(service);
      if (s == null) {
        return Outcome.UNKNOWN_SERVICE;
      }
      InstanceStats stats = s.stats.get(id);
      if (stats == null) {
        if (s.stats.size() >= maxInstances) {
          return Outcome.OVER_LIMIT;
        }
        stats = new InstanceStats(shape, recentShape);
        s.stats.put(id, stats);
      }
      long at = clock.getAsLong() - Math.max(0, ageMillis);
      if (!stats.record(sample, at)) {
        return Outcome.UNCHANGED;
      }
      s.model.learn(sample);
      return Outcome.APPLIED;
    } finally {
      lock.unlock();
    }
  }

  /** Sets the override of {@code service} ({@link RoutingOverride#NONE} to clear it). */
  public Outcome putOverride(String service, RoutingOverride override) {
    return change(
        service,
        s -> {
          Outcome outcome = override.equals(s.override) ? Outcome.UNCHANGED : Outcome.APPLIED;
          s.override = override;
          return outcome;
        });
  }

  /** The registration of {@code id} in {@code service}, if any. */
  public Optional<InstanceRecord> instance(String service, String id) {
    lock.lock();
    try {
      ServiceState s = services.get(service);
      return s == null ? Optional.empty() : Optional.ofNullable(s.registered.get(id));
    } finally {
      lock.unlock();
    }
  }

  /** The override in force for {@code service}. */
  public Optional<RoutingOverride> override(String service) {
    lock.lock();
    try {
      ServiceState s = services.get(service);
      return s == null ? Optional.empty() : Optional.of(s.override);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Replaces registrations and overrides with a full read (after a resync). Metric windows are
   * kept: samples already seen are skipped by their timestamp, and windows of instances that are
   * gone are dropped.
   *
   * @param instances every registration read
   * @param overrides every valid override read, by service; services not named get none
   * @param keepOverride services whose override could not be read (invalid): the old one stays
   */
  public void replaceAll(
      Collection<InstanceRecord> instances,
      Map<String, RoutingOverride> overrides,
      Collection<String> keepOverride) {
    lock.lock();
    try {
      for (ServiceState s : services.values()) {
        s.registered.clear();
        if (!keepOverride.contains(s.spec.name())) {
          s.override = overrides.getOrDefault(s.spec.name(), RoutingOverride.NONE);
        }
      }
      for (InstanceRecord instance : instances) {
        ServiceState s = services.get(instance.service());
        if (s != null && s.registered.size() < maxInstances) {
          s.registered.put(instance.id(), instance);
        }
      }
      for (ServiceState s : services.values()) {
        s.stats.keySet().removeIf(id -> !s.registered.containsKey(id) && !isStatic(s, id));
      }
    } finally {
      lock.unlock();
    }
    onChange.run();
  }

  /**
   * Ranks every service now. At most every 10 s it also drops the windows of unregistered instances
   * that went quiet.
   */
  public Map<String, RankedList> rankAll() {
    lock.lock();
    try {
      long now = clock.getAsLong();
      boolean sweep = now - lastSweepMillis >= SWEEP_INTERVAL_MILLIS;
      if (sweep) {
        lastSweepMillis = now;
      }
      Map<String, RankedList> lists = new LinkedHashMap<>();
      for (ServiceState s : services.values()) {
        if (sweep) {
          s.stats
              .entrySet()
              .removeIf(
                  e ->
                      !s.registered.containsKey(e.getKey())
                          && !isStatic(s, e.getKey())
                          && now - e.getValue().lastReceivedMillis() > statsRetentionMillis);
        }
        lists.put(
            s.spec.name(),
            ranker.rank(s.spec.listSize(), members(s), s.stats::get, s.override, s.model, now));
      }
      return lists;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Explains the weights of {@code service}: the fit, the damping, and per member its signals, its
   * prior score and the last recompute's verdict; empty when not configured.
   */
  public Optional<ServiceExplanation> explain(String service) {
    lock.lock();
    try {
      ServiceState s = services.get(service);
      if (s == null) {
        return Optional.empty();
      }
      long now = clock.getAsLong();
      Map<String, ServiceExplanation.Member> members = new LinkedHashMap<>();
      for (InstanceRecord instance : members(s)) {
        InstanceStats stats = s.stats.get(instance.id());
        ScoreExplanation prior = ranker.scorer().explain(stats, now);
        Verdict verdict = s.model.lastVerdict(instance.id());
        members.put(
            instance.id(),
            new ServiceExplanation.Member(
                prior,
                ServiceExplanation.signals(stats, InstanceStats.FAST, now),
                ServiceExplanation.signals(stats, InstanceStats.DAMPED, now),
                verdict == null ? null : verdict.view()));
      }
      return Optional.of(ServiceExplanation.of(s.model, now, members));
    } finally {
      lock.unlock();
    }
  }

  private static Collection<InstanceRecord> members(ServiceState s) {
    if (s.spec.staticInstances().isEmpty()) {
      return s.registered.values();
    }
    List<InstanceRecord> all = new ArrayList<>(s.registered.values());
    for (InstanceRecord st : s.spec.staticInstances()) {
      if (!s.registered.containsKey(st.id())) {
        all.add(st);
      }
    }
    return all;
  }

  private static boolean isStatic(ServiceState s, String id) {
    for (InstanceRecord st : s.spec.staticInstances()) {
      if (st.id().equals(id)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Applies {@code update} to the state of {@code service} under the lock ({@link
   * Outcome#UNKNOWN_SERVICE} when it is not configured), then, outside the lock, runs {@code
   * onChange} if the update applied.
   */
  private Outcome change(String service, Function<ServiceState, Outcome> update) {
    Outcome outcome;
    lock.lock();
    try {
      ServiceState s = services.get(service);
      outcome = s == null ? Outcome.UNKNOWN_SERVICE : update.apply(s);
    } finally {
      lock.unlock();
    }
    changed(outcome);
    return outcome;
  }

  private void changed(Outcome outcome) {
    if (outcome == Outcome.APPLIED) {
      onChange.run();
    }
  }
}
