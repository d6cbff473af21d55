package io.jindouyun.exporter.pull;

import io.jindouyun.exporter.target.Target;
import io.jindouyun.proto.metrics.v1.MetricsSnapshot;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The latest snapshot of every current target. Bounded by the target set: an entry exists only
 * while its target does. Thread-safe: written by stream callbacks, read by the writer and by
 * Prometheus scrapes.
 */
public final class SnapshotStore {

  /**
   * The latest state of one target.
   *
   * @param target the target
   * @param snapshot latest snapshot (service and instance id set to the target's), null before the
   *     first
   * @param up whether its stream is delivering
   */
  public record Latest(Target target, MetricsSnapshot snapshot, boolean up) {}

  private final ConcurrentHashMap<String, Latest> entries = new ConcurrentHashMap<>();

  /** Adds a target with no snapshot yet (no-op when present). */
  void add(Target target) {
    entries.putIfAbsent(target.key(), new Latest(target, null, false));
  }

  /** Forgets a target. */
  void remove(String key) {
    entries.remove(key);
  }

  /** Records a snapshot of a present target. */
  void snapshot(Target target, MetricsSnapshot snapshot) {
    MetricsSnapshot named =
        snapshot.toBuilder().setService(target.service()).setInstanceId(target.id()).build();
    entries.computeIfPresent(target.key(), (k, old) -> new Latest(target, named, true));
  }

  /** Marks a present target's stream as down (its last snapshot stays). */
  void down(String key) {
    entries.computeIfPresent(
        key, (k, old) -> old.up() ? new Latest(old.target(), old.snapshot(), false) : old);
  }

  /** The latest of one target, or null. */
  public Latest get(String key) {
    return entries.get(key);
  }

  /** Every current target's latest state. */
  public Collection<Latest> all() {
    return entries.values();
  }
}
