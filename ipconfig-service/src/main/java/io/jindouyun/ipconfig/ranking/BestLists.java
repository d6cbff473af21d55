package io.jindouyun.ipconfig.ranking;

import java.time.Instant;
import java.util.Map;

/**
 * An immutable published snapshot of every service's list.
 *
 * @param version global version: increases by one whenever any service's list changes
 * @param services the list of each configured service
 */
public record BestLists(long version, Map<String, ServiceList> services) {

  public BestLists {
    services = Map.copyOf(services);
  }

  /**
   * One service's published list.
   *
   * @param service service name
   * @param version the global version at which this list last changed
   * @param stale true while etcd is unreachable (the list is the last one known)
   * @param generatedAt when this list was computed
   * @param list strategy and entries
   */
  public record ServiceList(
      String service, long version, boolean stale, Instant generatedAt, RankedList list) {}
}
