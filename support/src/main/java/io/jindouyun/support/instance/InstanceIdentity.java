package io.jindouyun.support.instance;

import io.jindouyun.contract.InstanceId;
import java.time.Instant;
import org.springframework.core.env.Environment;

/**
 * The resolved identity of this process: service, instance id, host, ports, zone and version.
 *
 * <p>The HTTP port is read from {@code local.server.port} (set by Spring Boot once the web server
 * listens), falling back to {@code server.port}; the gRPC metrics port from {@code
 * local.jindouyun.metrics.grpc-port}. So the default id {@code <service>-<host>-<httpPort>} is only
 * final once the web server is up, unless {@code server.port} is fixed: services that need the id
 * earlier (the gateway's stream ids) take it from {@link #idBeforeWebServerStarts()}. Thread-safe
 * (reads the environment on every call).
 */
public final class InstanceIdentity {

  /** Environment key under which the metrics gRPC server publishes its bound port. */
  public static final String GRPC_PORT_PROPERTY = "local.jindouyun.metrics.grpc-port";

  private final InstanceProperties properties;
  private final Environment environment;
  private final Instant startedAt = Instant.now();

  public InstanceIdentity(InstanceProperties properties, Environment environment) {
    this.properties = properties;
    this.environment = environment;
    if (!properties.id().isEmpty()) {
      InstanceId.require(properties.id(), "jindouyun.instance.id");
    }
  }

  /** The service name. */
  public String service() {
    if (!properties.service().isEmpty()) {
      return properties.service();
    }
    return environment.getProperty("spring.application.name", "application");
  }

  /** The instance id (see the class comment for when the default is final). */
  public String id() {
    if (!properties.id().isEmpty()) {
      return properties.id();
    }
    return InstanceId.sanitize(service() + "-" + host() + "-" + httpPort());
  }

  /**
   * The instance id for a service that needs it before its web server listens: the configured id,
   * else the default {@code <service>-<host>-<server.port>}, which {@link #id()} also gives once
   * the server listens on that fixed port.
   *
   * @throws IllegalStateException when no id is configured and {@code server.port} is unset or 0:
   *     the port, and so the default id, is only known once the web server listens
   */
  public String idBeforeWebServerStarts() {
    if (properties.id().isEmpty()
        && environment.getProperty("server.port", Integer.class, 0) == 0) {
      throw new IllegalStateException(
          "jindouyun.instance.id is not set and server.port is "
              + environment.getProperty("server.port", "unset")
              + ": the default id <service>-<host>-<port> needs the port before the web server"
              + " listens; set jindouyun.instance.id or a fixed server.port");
    }
    return id();
  }

  /** The host other services use to reach this one. */
  public String host() {
    return properties.host();
  }

  /** The zone (may be empty). */
  public String zone() {
    return properties.zone();
  }

  /** The version. */
  public String version() {
    if (!properties.version().isEmpty()) {
      return properties.version();
    }
    return environment.getProperty("spring.application.version", "dev");
  }

  /** The HTTP port the web server listens on (0 when unknown). */
  public int httpPort() {
    Integer local = environment.getProperty("local.server.port", Integer.class);
    return local != null ? local : environment.getProperty("server.port", Integer.class, 0);
  }

  /** The gRPC metrics port (0 when the metrics server is not running). */
  public int grpcPort() {
    return environment.getProperty(GRPC_PORT_PROPERTY, Integer.class, 0);
  }

  /** When this process started (when this bean was created). */
  public Instant startedAt() {
    return startedAt;
  }
}
