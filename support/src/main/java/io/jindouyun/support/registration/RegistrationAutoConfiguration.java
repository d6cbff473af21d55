package io.jindouyun.support.registration;

import io.etcd.jetcd.Client;
import io.jindouyun.support.etcd.EtcdAutoConfiguration;
import io.jindouyun.support.instance.InstanceAutoConfiguration;
import io.jindouyun.support.instance.InstanceIdentity;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Self-registration in etcd ({@link SelfRegistration}) and its health indicator {@code
 * registration}. Always present; does nothing while {@code jindouyun.etcd.endpoints} is empty.
 */
@AutoConfiguration(after = {EtcdAutoConfiguration.class, InstanceAutoConfiguration.class})
@ConditionalOnClass(Client.class)
@EnableConfigurationProperties(RegistrationProperties.class)
public class RegistrationAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  SelfRegistration jindouyunSelfRegistration(
      ObjectProvider<Client> client, InstanceIdentity identity, RegistrationProperties properties) {
    return new SelfRegistration(client.getIfAvailable(), identity, properties);
  }

  /** Only when Spring Boot's health support is on the classpath. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class Health {

    @Bean
    @ConditionalOnMissingBean(name = "registrationHealthIndicator")
    org.springframework.boot.health.contributor.HealthIndicator registrationHealthIndicator(
        SelfRegistration registration) {
      return new RegistrationHealthIndicator(registration);
    }
  }
}
