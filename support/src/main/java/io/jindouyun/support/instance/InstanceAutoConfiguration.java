package io.jindouyun.support.instance;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/** The {@link InstanceIdentity} shared by the metrics server and self-registration. */
@AutoConfiguration
@EnableConfigurationProperties(InstanceProperties.class)
public class InstanceAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  InstanceIdentity jindouyunInstanceIdentity(InstanceProperties properties, Environment env) {
    return new InstanceIdentity(properties, env);
  }
}
