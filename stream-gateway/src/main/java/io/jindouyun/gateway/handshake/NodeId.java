package io.jindouyun.gateway.handshake;

/**
 * This gateway's instance id ({@code jindouyun.instance.id}, else {@code
 * <service>-<host>-<server.port>}): the node part of stream ids and the {@code node} of handshake
 * answers and jobs.
 *
 * @param value the id, {@code [A-Za-z0-9_.-]{1,64}}
 */
public record NodeId(String value) {

  /** Checks the format. */
  public NodeId {
    if (value == null || !StreamIds.NODE.matcher(value).matches()) {
      throw new IllegalArgumentException(
          "jindouyun.instance.id must match " + StreamIds.NODE + ": " + value);
    }
  }
}
