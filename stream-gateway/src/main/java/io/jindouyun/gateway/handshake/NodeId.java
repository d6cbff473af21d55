package io.jindouyun.gateway.handshake;

import io.jindouyun.contract.InstanceId;

/**
 * This gateway's instance id ({@code jindouyun.instance.id}, else {@code
 * <service>-<host>-<server.port>}): the node part of stream ids and the {@code node} of handshake
 * answers and jobs.
 *
 * @param value the id, {@link InstanceId#PATTERN}
 */
public record NodeId(String value) {

  /** Checks the format. */
  public NodeId {
    InstanceId.require(value, "jindouyun.instance.id");
  }
}
