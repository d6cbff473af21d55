package io.jindouyun.contract;

import java.util.Optional;

/**
 * The etcd key layout under one root (default {@value #DEFAULT_ROOT}):
 *
 * <ul>
 *   <li>{@code <root>instances/<service>/<id>}: an instance's {@link InstanceRecord}, under its own
 *       lease;
 *   <li>{@code <root>metrics/<service>/<id>}: its latest snapshot as {@link MetricsJson}, under the
 *       exporter's lease;
 *   <li>{@code <root>overrides/<service>}: an operator's routing override;
 *   <li>{@code <root>replies/<n>}: the gateway that owns partition {@code n} of {@code
 *       chat.replies};
 *   <li>{@code <root>handovers/<node>}: the gateway that took over the reply partition of the gone
 *       gateway {@code node} (and serves its streams), under the new owner's lease.
 * </ul>
 *
 * <p>The root is used as given, so it normally ends in {@code /}. Immutable and thread-safe.
 */
public final class EtcdKeys {

  /** The root every service uses unless configured otherwise. */
  public static final String DEFAULT_ROOT = "/jindouyun/";

  /** The keys under {@link #DEFAULT_ROOT}. */
  public static final EtcdKeys DEFAULT = new EtcdKeys(DEFAULT_ROOT);

  private final String root;
  private final String instances;
  private final String metrics;
  private final String overrides;
  private final String replies;
  private final String handovers;

  /**
   * @param root the root, e.g. {@value #DEFAULT_ROOT}; not empty
   */
  public EtcdKeys(String root) {
    if (root == null || root.isEmpty()) {
      throw new IllegalArgumentException("the etcd key root must not be empty");
    }
    this.root = root;
    this.instances = root + "instances/";
    this.metrics = root + "metrics/";
    this.overrides = root + "overrides/";
    this.replies = root + "replies/";
    this.handovers = root + "handovers/";
  }

  /** The root. */
  public String root() {
    return root;
  }

  /** {@code <root>instances/}, the prefix of every instance key. */
  public String instancesPrefix() {
    return instances;
  }

  /** {@code <root>metrics/}, the prefix of every metrics key. */
  public String metricsPrefix() {
    return metrics;
  }

  /** {@code <root>overrides/}, the prefix of every override key. */
  public String overridesPrefix() {
    return overrides;
  }

  /** {@code <root>replies/}, the prefix of every reply-partition claim. */
  public String repliesPrefix() {
    return replies;
  }

  /** {@code <root>handovers/}, the prefix of every hand-over of a gone gateway's streams. */
  public String handoversPrefix() {
    return handovers;
  }

  /** {@code <root>handovers/<node>}: who serves the streams of the gone gateway {@code node}. */
  public String handoverKey(String node) {
    return handovers + node;
  }

  /** {@code <root>instances/<service>/<id>}. */
  public String instanceKey(ServiceInstance instance) {
    return instances + instance;
  }

  /** {@code <root>instances/<service>/<id>}; the names are checked. */
  public String instanceKey(String service, String id) {
    return instanceKey(new ServiceInstance(service, id));
  }

  /** {@code <root>metrics/<service>/<id>}. */
  public String metricsKey(ServiceInstance instance) {
    return metrics + instance;
  }

  /** {@code <root>metrics/<service>/<id>}; the names are checked. */
  public String metricsKey(String service, String id) {
    return metricsKey(new ServiceInstance(service, id));
  }

  /** {@code <root>overrides/<service>}. */
  public String overrideKey(String service) {
    return overrides + service;
  }

  /** {@code <root>replies/<partition>}. */
  public String replyKey(int partition) {
    if (partition < 0) {
      throw new IllegalArgumentException("partition must be >= 0: " + partition);
    }
    return replies + partition;
  }

  /**
   * The instance an instance key names.
   *
   * @throws BadRecordException when the key is not {@code <root>instances/<service>/<id>} with
   *     valid names
   */
  public ServiceInstance parseInstanceKey(String key) throws BadRecordException {
    return ServiceInstance.parse(after(instances, key));
  }

  /**
   * The instance a metrics key names.
   *
   * @throws BadRecordException when the key is not {@code <root>metrics/<service>/<id>} with valid
   *     names
   */
  public ServiceInstance parseMetricsKey(String key) throws BadRecordException {
    return ServiceInstance.parse(after(metrics, key));
  }

  /**
   * The service an override key names (the rest of the key, not checked further).
   *
   * @throws BadRecordException when the key is not under {@code <root>overrides/}
   */
  public String parseOverrideKey(String key) throws BadRecordException {
    return after(overrides, key);
  }

  /** The instance an instance key names; empty when the key is not a valid instance key. */
  public Optional<ServiceInstance> instanceOf(String key) {
    try {
      return Optional.of(parseInstanceKey(key));
    } catch (BadRecordException e) {
      return Optional.empty();
    }
  }

  private static String after(String prefix, String key) throws BadRecordException {
    if (key == null || !key.startsWith(prefix)) {
      throw new BadRecordException("not under " + prefix + ": " + key);
    }
    return key.substring(prefix.length());
  }

  @Override
  public String toString() {
    return "EtcdKeys[" + root + "]";
  }
}
