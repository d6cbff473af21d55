package io.jindouyun.support.instance;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who this process is, as published in its registration and its metrics snapshots.
 *
 * @param id instance id ({@link io.jindouyun.contract.InstanceId}); empty = {@code
 *     <service>-<host>-<httpPort>}
 * @param service service name; empty = {@code spring.application.name}
 * @param zone availability zone or rack, free text (may be empty)
 * @param host host name or address other services use to reach this instance
 * @param version version published in the registration; empty = {@code spring.application.version}
 */
@Validated
@ConfigurationProperties("jindouyun.instance")
public record InstanceProperties(
    @DefaultValue("") String id,
    @DefaultValue("") String service,
    @DefaultValue("") String zone,
    @DefaultValue("127.0.0.1") String host,
    @DefaultValue("") String version) {}
