package io.jindouyun.support.etcd;

import io.etcd.jetcd.Client;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

/**
 * One shared jetcd {@link Client} when {@code jindouyun.etcd.endpoints} is set, with the user and
 * TLS settings of {@link EtcdProperties} ({@link EtcdClients}).
 */
@AutoConfiguration
@ConditionalOnClass(Client.class)
@EnableConfigurationProperties(EtcdProperties.class)
public class EtcdAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @Conditional(OnEtcdEndpointsCondition.class)
  Client jindouyunEtcdClient(EtcdProperties properties) {
    return EtcdClients.build(properties);
  }
}
