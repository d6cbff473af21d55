package io.jindouyun.ipconfig.api;

import io.jindouyun.ipconfig.ranking.BestLists;
import io.jindouyun.ipconfig.ranking.RankedList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON of {@code GET /v1/best/{service}}.
 *
 * @param service service name
 * @param version version of this list (also the ETag)
 * @param strategy score, manual, hash or drain; the edge hashes users only for {@code hash}
 * @param stale true while etcd is unreachable: the last known list
 * @param generatedAt when the list was computed, ISO-8601
 * @param instances listed instances, best first
 */
record BestListBody(
    String service,
    long version,
    String strategy,
    boolean stale,
    String generatedAt,
    List<InstanceBody> instances) {

  /**
   * One listed instance.
   *
   * @param id instance id
   * @param host host to connect to
   * @param port HTTP port
   * @param weight traffic weight
   * @param score score 0..1 at {@code generatedAt}
   * @param stale no fresh metrics: neutral score
   */
  record InstanceBody(String id, String host, int port, int weight, double score, boolean stale) {}

  static BestListBody of(BestLists.ServiceList list) {
    List<InstanceBody> instances =
        list.list().entries().stream().map(BestListBody::instance).toList();
    return new BestListBody(
        list.service(),
        list.version(),
        list.list().strategy().key(),
        list.stale(),
        list.generatedAt().toString(),
        instances);
  }

  private static InstanceBody instance(RankedList.Entry e) {
    return new InstanceBody(
        e.instance().id(),
        e.instance().host(),
        e.instance().httpPort(),
        e.weight(),
        Math.round(e.score() * 10_000) / 10_000.0,
        e.stale());
  }

  /**
   * JSON of {@code GET /v1/best}.
   *
   * @param version global version (the ETag)
   * @param services each service's list by name
   */
  record All(long version, Map<String, BestListBody> services) {
    static All of(BestLists lists, List<String> order) {
      Map<String, BestListBody> services = new LinkedHashMap<>();
      for (String name : order) {
        BestLists.ServiceList list = lists.services().get(name);
        if (list != null) {
          services.put(name, BestListBody.of(list));
        }
      }
      return new All(lists.version(), services);
    }
  }
}
