package io.jindouyun.support.registration;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Self-registration at {@code /jindouyun/instances/<service>/<id>}.
 *
 * @param enabled whether to register at all (it is also off while {@code jindouyun.etcd.endpoints}
 *     is empty)
 * @param ttl TTL of this process's lease, whole seconds
 * @param operationTimeout bound on each etcd call (grant, put, delete, revoke)
 * @param retryInitial first delay before registering again after a failure or a lost lease
 * @param retryMax ceiling of the delay between attempts (jittered exponential backoff)
 * @param deregisterTimeout how long shutdown waits for the key to be deleted and the lease revoked
 * @param drainDelay pause after the key is deleted, before the web server stops accepting, so
 *     routers see the deletion first
 */
@Validated
@ConfigurationProperties("jindouyun.registration")
public record RegistrationProperties(
    @DefaultValue("true") boolean enabled,
    @DefaultValue("10s") Duration ttl,
    @DefaultValue("3s") Duration operationTimeout,
    @DefaultValue("200ms") Duration retryInitial,
    @DefaultValue("5s") Duration retryMax,
    @DefaultValue("3s") Duration deregisterTimeout,
    @DefaultValue("0s") Duration drainDelay) {}
