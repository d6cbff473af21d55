package io.jindouyun.contract;

/**
 * The {@code <service>/<id>} that ends every instance key and metrics key.
 *
 * @param service service name, {@link ServiceName#PATTERN}
 * @param id instance id, {@link InstanceId#PATTERN}
 */
public record ServiceInstance(String service, String id) {

  /**
   * @throws IllegalArgumentException when the service name or the id is not valid
   */
  public ServiceInstance {
    if (!ServiceName.isValid(service) || !InstanceId.isValid(id)) {
      throw new IllegalArgumentException("bad service or instance id: " + service + "/" + id);
    }
  }

  /**
   * Splits {@code <service>/<id>}, the part of a key after its prefix.
   *
   * @throws BadRecordException when it is not two segments or a segment is not a valid name
   */
  public static ServiceInstance parse(String rest) throws BadRecordException {
    int slash = rest.indexOf('/');
    if (slash <= 0 || slash == rest.length() - 1 || rest.indexOf('/', slash + 1) >= 0) {
      throw new BadRecordException("key must end in <service>/<instanceId>: " + rest);
    }
    String service = rest.substring(0, slash);
    String id = rest.substring(slash + 1);
    if (!ServiceName.isValid(service) || !InstanceId.isValid(id)) {
      throw new BadRecordException("bad service or instance id in key: " + rest);
    }
    return new ServiceInstance(service, id);
  }

  /** {@code <service>/<id>}. */
  @Override
  public String toString() {
    return service + "/" + id;
  }
}
