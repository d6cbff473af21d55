package io.jindouyun.exporter.target;

import io.jindouyun.contract.BadRecordException;
import io.jindouyun.contract.InstanceRecord;
import io.jindouyun.contract.ServiceInstance;

/**
 * Reads a target from an instance registration ({@link InstanceRecord} at {@code
 * <root>instances/<service>/<id>}). The key names the target (so it matches the key that disappears
 * when the lease ends); the record gives its address, host defaulting to 127.0.0.1. Stateless.
 */
final class InstanceParser {

  private InstanceParser() {}

  /**
   * The target of one registration.
   *
   * @throws BadRecordException when the value is not a usable registration (bad JSON, no gRPC port)
   */
  static Target parse(ServiceInstance instance, String json) throws BadRecordException {
    InstanceRecord record = InstanceRecord.fromJson(instance, json);
    if (record.grpcPort() <= 0) {
      throw new BadRecordException("no grpcPort in the registration of " + instance);
    }
    return new Target(
        instance.service(),
        instance.id(),
        record.host().isBlank() ? "127.0.0.1" : record.host(),
        record.grpcPort());
  }
}
