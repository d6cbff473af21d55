package io.jindouyun.support.etcd;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The etcd cluster this process talks to.
 *
 * @param endpoints client URLs, e.g. {@code http://127.0.0.1:2379}; empty = no etcd client (and so
 *     no self-registration)
 * @param connectTimeout timeout of one connection attempt
 */
@Validated
@ConfigurationProperties("jindouyun.etcd")
public record EtcdProperties(
    @DefaultValue({}) List<String> endpoints, @DefaultValue("2s") Duration connectTimeout) {}
