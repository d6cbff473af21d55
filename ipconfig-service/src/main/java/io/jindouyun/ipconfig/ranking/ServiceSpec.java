package io.jindouyun.ipconfig.ranking;

import io.jindouyun.contract.InstanceRecord;
import java.util.List;

/**
 * A service to rank, from {@code ipconfig.yml}.
 *
 * @param name service name (the segment after {@code /jindouyun/instances/})
 * @param listSize largest number of instances listed by score, &ge; 1
 * @param staticInstances instances that are always present (an etcd registration with the same id
 *     wins)
 */
public record ServiceSpec(String name, int listSize, List<InstanceRecord> staticInstances) {
  public ServiceSpec {
    staticInstances = List.copyOf(staticInstances);
  }
}
