package io.jindouyun.consumer.config;

import io.jindouyun.consumer.history.StoredTurns;
import io.jindouyun.consumer.job.TurnRecorder;
import io.jindouyun.history.HistoryDatabase;
import io.jindouyun.history.HistoryProperties;
import io.jindouyun.history.HistoryStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The history writer: this process stores each ended answer as a turn when {@code
 * jindouyun.history.url} names a database (migrated at start), and nothing otherwise.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(HistoryProperties.class)
class HistoryWiring {

  @Bean(destroyMethod = "close")
  HistoryDatabase historyDatabase(HistoryProperties props) {
    return props.enabled() ? HistoryDatabase.open(props) : null;
  }

  @Bean
  TurnRecorder turnRecorder(
      HistoryProperties props, ObjectProvider<HistoryDatabase> database, MeterRegistry registry) {
    HistoryDatabase db = database.getIfAvailable();
    if (db == null) {
      return TurnRecorder.NONE;
    }
    return new StoredTurns(new HistoryStore(db, props), props, registry);
  }
}
